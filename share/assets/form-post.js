// response_mode=form_post: submit the authorization response to the client at once. Without
// JavaScript the page still works: the user presses Continue.
document.getElementById('form-post')?.submit();
