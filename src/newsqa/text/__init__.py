"""Text handling shared by every stage: words, sentences, dates and time words."""
