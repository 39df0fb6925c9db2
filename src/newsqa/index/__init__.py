"""What is stored: the catalog of articles, Chroma's vectors, the lexical index, the embedder."""
