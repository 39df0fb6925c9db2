"""From passages to a cited answer: extractive or generated, then verified."""
