<?php
// Response-side behaviour, chosen by the query: NginxParityTest compares what clients get.
if (isset($_GET['code'])) {
  http_response_code((int) $_GET['code']);
}
if (isset($_GET['status'])) {
  header('Status: ' . $_GET['status']);
}
if (isset($_GET['location'])) {
  header('Location: ' . $_GET['location']);
}
if (isset($_GET['cookies'])) {
  setcookie('first', 'one value', ['path' => '/', 'httponly' => true]);
  setcookie('second', '2', ['expires' => 2000000000, 'samesite' => 'Lax']);
}
if (isset($_GET['type'])) {
  header('Content-Type: ' . $_GET['type']);
}
header('X-Repeated: a');
header('X-Repeated: b', false);
header('Cache-Control: no-store');
echo "body of ", $_SERVER['REQUEST_METHOD'], "\n";
