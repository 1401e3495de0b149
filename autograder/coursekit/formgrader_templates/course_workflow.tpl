<div class="alert alert-info" id="course-workflow">
  <p><b>This course is graded by its Makefile, not by these buttons.</b>
  <code>make release</code> builds the student version, <code>make grade</code> autogrades every submission in
  the sandbox and writes the feedback and the reports. Here you grade the <b>written answers</b>:
  open <a href="{{ base_url }}/formgrader/gradebook">Manual Grading</a>, pick an assignment and a notebook;
  the model answer and its rubric appear under each student's answer. Then run <code>make grade</code>
  again: it puts your scores and comments into <code>reports/grades.csv</code> and the feedback.</p>
  <p class="small">Generate, release, collect, autograde and the feedback buttons are switched off: they would run
  nbgrader's own steps, unsandboxed and with unredacted feedback, beside the course's pipeline.</p>
</div>
