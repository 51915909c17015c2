printf '\033]0;vm1: demo\007'
printf '\033[1;36mcloud-console-viewer\033[0m  \033[1mbold\033[0m \033[3mitalic\033[0m \033[4munderline\033[0m \033[7mreverse\033[0m \033[9mstrike\033[0m\r\n\r\n'
printf '16 colours  '
for c in 30 31 32 33 34 35 36 37; do printf '\033[%dm\342\226\210\342\226\210\033[0m' $c; done
for c in 90 91 92 93 94 95 96 97; do printf '\033[%dm\342\226\210\342\226\210\033[0m' $c; done
printf '\r\n256 colours '
i=16; while [ $i -lt 232 ]; do printf '\033[48;5;%dm \033[0m' $i; i=$((i+3)); done
printf '\r\ngrey ramp   '
i=232; while [ $i -lt 256 ]; do printf '\033[48;5;%dm  \033[0m' $i; i=$((i+1)); done
printf '\r\ntruecolour  '
i=0; while [ $i -lt 72 ]; do r=$((255 - i*3)); g=$((i*3)); b=$((128 + i)); printf '\033[48;2;%d;%d;%dm \033[0m' $r $g $b; i=$((i+1)); done
printf '\r\n\r\nwide        日本語のテキスト  中文 繁體  emoji 😀 🚀 ✅\r\n'
printf 'boxes       \342\224\214\342\224\200\342\224\200\342\224\220 \033(0lqqk x  x mqqj\033(B\r\n\r\n'
printf '[    0.000000] Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)\r\n'
printf '[    1.204113] \033[1;31mFailed to start Load Kernel Modules.\033[0m\r\n'
printf '[  \033[0;32mOK\033[0m  ] Reached target \033[1mMulti-User System\033[0m.\r\n\r\n'
printf 'drwxr-xr-x  2 root root 4096 Jan  1 12:00 \033[01;34mbin\033[0m\r\n'
printf 'lrwxrwxrwx  1 root root    7 Jan  1 12:00 \033[01;36mlib -> usr/lib\033[0m\r\n'
printf -- '-rwxr-xr-x  1 root root 8192 Jan  1 12:00 \033[01;32mrun.sh\033[0m\r\n\r\n'
printf '\033[5 q'
