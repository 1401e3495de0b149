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
<tr><td colspan="11" class="text-muted">Assignments come from <code>autograder/source/*/*.py</code>: add or change one there, then <code>make release</code>.</td></tr>
{%- endblock -%}
