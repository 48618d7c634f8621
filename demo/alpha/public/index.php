<?php
// Demo tenant "alpha": a front controller. Routing mode front-controller sends every URI that is
// not an existing file here, as nginx `try_files $uri $uri/ /index.php?$args` would.
$tenant = 'alpha';
$h = static fn ($value): string => htmlspecialchars((string) $value, ENT_QUOTES, 'UTF-8');
$user = function_exists('posix_geteuid') ? (posix_getpwuid(posix_geteuid())['name'] ?? posix_geteuid()) : '?';
$rows = [
    'tenant' => $tenant,
    'PHP version' => PHP_VERSION,
    'REQUEST_URI' => $_SERVER['REQUEST_URI'] ?? '',
    'HTTP_HOST' => $_SERVER['HTTP_HOST'] ?? '',
    'SCRIPT_NAME' => $_SERVER['SCRIPT_NAME'] ?? '',
    'QUERY_STRING' => $_SERVER['QUERY_STRING'] ?? '',
    'worker' => 'pid ' . getmypid() . ', user ' . $user,
];
if (str_contains($_SERVER['HTTP_ACCEPT'] ?? '', 'text/html')) {
    echo "<!doctype html>\n<html><head><title>", $h($tenant), "</title>",
        "<link rel=\"stylesheet\" href=\"/style.css\"></head><body>\n<h1>Tenant ", $h($tenant), "</h1>\n<table>\n";
    foreach ($rows as $name => $value) {
        echo '<tr><th>', $h($name), '</th><td>', $h($value), "</td></tr>\n";
    }
    echo "</table>\n</body></html>\n";
} else {
    header('Content-Type: text/plain; charset=utf-8');
    foreach ($rows as $name => $value) {
        echo $name, ': ', $value, "\n";
    }
}
