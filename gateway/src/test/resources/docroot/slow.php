<?php
sleep((int) $_GET['s']);
echo "late\n";
