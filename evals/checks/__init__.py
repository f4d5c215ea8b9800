"""One module per check family; each class satisfies :class:`evals.types.Check`."""
