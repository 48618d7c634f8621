<?php
// Dumps what PHP made of the request, for NginxParityTest: every $_SERVER entry, the parsed
// superglobals, uploads (without their random tmp_name) and the raw body.
$input = file_get_contents('php://input');
$files = [];
$describe = function ($f) {
  $out = [];
  foreach (['name', 'full_path', 'type', 'size', 'error'] as $key) {
    if (array_key_exists($key, $f)) {
      $out[$key] = $f[$key];
    }
  }
  $out['md5'] = is_string($f['tmp_name']) && $f['tmp_name'] !== '' ? md5_file($f['tmp_name']) : null;
  return $out;
};
foreach ($_FILES as $field => $f) {
  if (is_array($f['name'])) {
    $list = [];
    foreach (array_keys($f['name']) as $i) {
      $one = [];
      foreach ($f as $key => $values) {
        $one[$key] = $values[$i];
      }
      $list[$i] = $describe($one);
    }
    $files[$field] = $list;
  } else {
    $files[$field] = $describe($f);
  }
}
header('Content-Type: application/json');
echo json_encode([
  'server' => $_SERVER,
  'get' => $_GET,
  'post' => $_POST,
  'cookie' => $_COOKIE,
  'files' => $files,
  'input_md5' => md5($input),
  'input_length' => strlen($input),
  'response_code' => http_response_code(),
], JSON_PRETTY_PRINT | JSON_UNESCAPED_SLASHES | JSON_INVALID_UTF8_SUBSTITUTE | JSON_PARTIAL_OUTPUT_ON_ERROR), "\n";
