<?php
// Demo tenant "beta": shows the CGI variables the gateway sends; try /info.php/some/path?x=1.
header('Content-Type: text/plain; charset=utf-8');
echo "tenant: beta\n";
echo 'PHP version: ', PHP_VERSION, "\n";
foreach ([
    'REQUEST_METHOD', 'REQUEST_URI', 'SCRIPT_NAME', 'SCRIPT_FILENAME', 'PATH_INFO', 'PATH_TRANSLATED',
    'QUERY_STRING', 'DOCUMENT_ROOT', 'SERVER_NAME', 'SERVER_PORT', 'SERVER_PROTOCOL', 'HTTP_HOST',
    'REMOTE_ADDR', 'REMOTE_PORT', 'GATEWAY_INTERFACE', 'SERVER_SOFTWARE', 'HTTPS',
] as $name) {
    echo $name, ': ', $_SERVER[$name] ?? '(unset)', "\n";
}
