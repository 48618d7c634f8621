<?php
// Three parts, flushed one by one with pauses: the client should see each part as it is flushed.
header('Content-Type: text/plain');
header('X-Accel-Buffering: no');
while (ob_get_level() > 0) {
  ob_end_flush();
}
$pause = isset($_GET['ms']) ? (int) $_GET['ms'] * 1000 : 400000;
foreach (['part 1', 'part 2', 'part 3'] as $i => $part) {
  if ($i > 0) {
    usleep($pause);
  }
  echo $part, "\n";
  flush();
}
