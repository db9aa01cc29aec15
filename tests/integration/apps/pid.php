<?php
// Served by an unchanged `php -S 127.0.0.1:PORT pid.php`: answers with the server's pid.
echo getmypid(), "\n";
