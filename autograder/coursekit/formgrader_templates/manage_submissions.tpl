{%- extends 'nbgrader/manage_submissions.tpl' -%}
{#- The course's overlay on nbgrader's page: grading runs through `make grade`, sandboxed. -#}

{%- block head -%}
{{ super() }}
<link rel="stylesheet" href="{{ base_url }}/formgrader/course/static/course_formgrader.css" />
{%- endblock -%}

{%- block messages -%}
{% include 'course_workflow.tpl' %}
{%- endblock -%}
