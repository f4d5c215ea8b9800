"""Batches on their own schedule: the due care messages every day, the monthly series on
the 1st, for every ingested brand (or the ones named). ``jobs.py`` says what is due when and
runs it through :class:`batch.service.BatchService`; ``clock.py`` keeps the long-running
APScheduler process (``zhenxin schedule``). ``zhenxin schedule --once`` is for cron and tests.

Nothing is imported here, so ``import scheduling.jobs`` stays cheap.
"""
