"""Server-rendered QA pages (Jinja2 templates, inline CSS, no asset from the internet)."""
