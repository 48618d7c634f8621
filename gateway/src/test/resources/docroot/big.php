<?php
// Streams n bytes of a repeating pattern in 64 KiB writes; with progress=<file> it records how much it wrote.
$n = (int) $_GET['n'];
$progress = $_GET['progress'] ?? null;
$chunk = str_repeat('0123456789abcdef', 4096);
header('Content-Type: application/octet-stream');
$written = 0;
while ($written < $n) {
  $part = min(strlen($chunk), $n - $written);
  echo substr($chunk, 0, $part);
  flush();
  $written += $part;
  if ($progress !== null) {
    file_put_contents($progress, (string) $written);
  }
}
