"""Machine-readable outputs: sitemap, robots.txt, iCalendar."""
