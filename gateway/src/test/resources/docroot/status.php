<?php
if (isset($_GET['code'])) {
  http_response_code((int) $_GET['code']);
}
if (isset($_GET['status'])) {
  header('Status: ' . $_GET['status']);
}
if (isset($_GET['location'])) {
  header('Location: ' . $_GET['location']);
}
setcookie('first', '1');
setcookie('second', '2');
echo "status page\n";
