"""nbgrader configuration for the course; the settings live in coursekit.nbgrader_config."""
from coursekit.nbgrader_config import course_config

c = get_config()  # noqa: F821 (provided by nbgrader)
c.merge(course_config())
