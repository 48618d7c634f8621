<?php
echo "front ", $_SERVER['SCRIPT_NAME'], " ", $_SERVER['REQUEST_URI'], "\n";
