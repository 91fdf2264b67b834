from django.urls import path

from wicketgate.learning.views import library, portal, record, staff

app_name = "learning"

LEARNER = "staff/prisoners/<str:prison_number>/learning/"

urlpatterns = [
    path("staff/learning/courses/", staff.courses, name="courses"),
    path("staff/learning/courses/new", staff.new_course, name="course-new"),
    path("staff/learning/courses/<int:pk>/", staff.course, name="course"),
    path("staff/learning/courses/<int:pk>/change", staff.change_course, name="course-change"),
    path("staff/learning/courses/<int:pk>/cancel", staff.cancel_course, name="course-cancel"),
    path("staff/learning/courses/<int:pk>/classes/new", staff.new_class, name="class-new"),
    path("staff/learning/courses/<int:pk>/enrol", staff.enrol, name="enrol"),
    path("staff/learning/enrolments/<int:pk>/withdraw", staff.withdraw, name="withdraw"),
    path("staff/learning/enrolments/<int:pk>/complete", staff.complete, name="complete"),
    path("staff/learning/enrolments/<int:pk>/progress", staff.results, name="results"),
    path("staff/learning/classes/<int:pk>/register", staff.register, name="register"),
    path(LEARNER, record.learner, name="learner"),
    path(f"{LEARNER}record.pdf", record.record_pdf, name="learner-pdf"),
    path(f"{LEARNER}credential.json", record.credential, name="learner-credential"),
    path(
        f"{LEARNER}subject-access.json",
        record.subject_access_copy,
        name="learner-subject-access",
    ),
    path("staff/learning/library/", library.books, name="books"),
    path("staff/learning/library/add", library.add_book, name="book-add"),
    path("staff/learning/library/<int:pk>/remove", library.remove_book, name="book-remove"),
    path("portal/learning/", portal.my_learning, name="portal-learning"),
    path("portal/library/", library.my_library, name="portal-library"),
]
