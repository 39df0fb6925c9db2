"""From a question to ranked passages: follow-up resolution, hybrid search, rerank."""
