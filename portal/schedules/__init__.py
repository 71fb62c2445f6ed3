"""Generated data protection schedules: Article 28 terms, data sharing and joint controller outlines."""
