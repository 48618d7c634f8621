<?php
// Demo tenant "beta": routing mode "scripts" runs only existing .php files (with PATH_INFO split),
// so /info.php/some/path runs info.php and an unknown URI is a 404.
$tenant = 'beta';
$h = static fn ($value): string => htmlspecialchars((string) $value, ENT_QUOTES, 'UTF-8');
$rows = [
    'tenant' => $tenant,
    'PHP version' => PHP_VERSION,
    'REQUEST_URI' => $_SERVER['REQUEST_URI'] ?? '',
    'HTTP_HOST' => $_SERVER['HTTP_HOST'] ?? '',
    'SCRIPT_NAME' => $_SERVER['SCRIPT_NAME'] ?? '',
    'worker' => 'pid ' . getmypid(),
];
if (str_contains($_SERVER['HTTP_ACCEPT'] ?? '', 'text/html')) {
    echo "<!doctype html>\n<html><head><title>", $h($tenant), "</title>",
        "<link rel=\"stylesheet\" href=\"/style.css\"></head><body>\n<h1>Tenant ", $h($tenant), "</h1>\n<table>\n";
    foreach ($rows as $name => $value) {
        echo '<tr><th>', $h($name), '</th><td>', $h($value), "</td></tr>\n";
    }
    echo "</table>\n<p><a href=\"/info.php/some/path?x=1\">info.php/some/path</a></p>\n</body></html>\n";
} else {
    header('Content-Type: text/plain; charset=utf-8');
    foreach ($rows as $name => $value) {
        echo $name, ': ', $value, "\n";
    }
}
