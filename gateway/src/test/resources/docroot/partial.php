<?php
echo str_repeat('x', 4096);
flush();
if (isset($_GET['marker'])) {
  file_put_contents($_GET['marker'], (string) getmypid());
}
sleep(30);
echo "never\n";
