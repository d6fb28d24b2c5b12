"""Pure notice understanding: language, relevance, classification, numbers, deadlines, lifecycle."""
