<?php
$input = file_get_contents('php://input');
$server = [];
foreach ($_SERVER as $k => $v) {
  if (is_string($v)) {
    $server[$k] = $v;
  }
}
$files = [];
foreach ($_FILES as $k => $f) {
  $files[$k] = ['name' => $f['name'], 'size' => $f['size'], 'md5' => md5_file($f['tmp_name'])];
}
header('Content-Type: application/json');
echo json_encode(['server' => $server, 'get' => $_GET, 'post' => $_POST, 'cookie' => $_COOKIE,
  'files' => $files, 'input_md5' => md5($input), 'input_length' => strlen($input)]);
