{%- extends 'nbgrader/manage_assignments.tpl' -%}
{#- The course's overlay on nbgrader's page: its workflow instead of nbgrader's exchange. -#}

{%- block head -%}
{{ super() }}
<link rel="stylesheet" href="{{ base_url }}/formgrader/course/static/course_formgrader.css" />
{%- endblock -%}

{%- block messages -%}
{% include 'course_workflow.tpl' %}
{%- endblock -%}

{%- block table_footer -%}
<tr><td colspan="11" class="text-muted">Assignments come from <code>autograder/source/*/*.py</code>: add or change one there, then <code>make release</code>.
"Released": its student version is built (handed out as the LMS zip). "# Submissions": the students who handed in a notebook,
as <code>reports/summary.html</code> counts them (one that failed to grade has no row to grade by hand). Due dates are the LMS's.</td></tr>
{%- endblock -%}
