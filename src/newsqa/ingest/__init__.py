"""From files, feeds and URLs to stored chunks: loaders → Article → chunker → index."""
