"""Results and how they are shown: statuses, renderers by name, console, Markdown, comments."""
