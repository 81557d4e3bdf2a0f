"""Sources list and read items; extractors turn them into chunks; crawl ties the two together."""
