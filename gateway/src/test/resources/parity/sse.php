<?php
// Server-sent events: three events, flushed one by one.
header('Content-Type: text/event-stream');
header('Cache-Control: no-cache');
header('X-Accel-Buffering: no');
while (ob_get_level() > 0) {
  ob_end_flush();
}
$pause = isset($_GET['ms']) ? (int) $_GET['ms'] * 1000 : 400000;
for ($i = 1; $i <= 3; $i++) {
  if ($i > 1) {
    usleep($pause);
  }
  echo "id: $i\nevent: tick\ndata: {\"n\": $i}\n\n";
  flush();
}
