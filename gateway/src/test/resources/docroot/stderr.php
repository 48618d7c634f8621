<?php
file_put_contents('php://stderr', "warning from tenant script\n");
error_log('logged through error_log');
echo "body only\n";
