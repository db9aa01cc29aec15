#!/usr/bin/env zsh
# zsh_complete.zsh DIR LINE: what zsh's completion system offers at the end of LINE, one match
# a line, with _pmctl loaded from DIR by compinit. A real interactive zsh runs in a pseudo
# terminal (zpty); compadd is wrapped (calls with -O, -A or -D only collect or filter, they
# offer nothing) to print every match it is given, and the line ends
# with a marker command whose output says the completion is over.
zmodload zsh/zpty || { print -u2 "zsh/zpty is missing"; exit 2 }
dir=$1 line=$2
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' menu no"
zpty -w z "zstyle ':completion:*' list-prompt ''"
zpty -w z "zstyle ':completion:*' select-prompt ''"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __hits __opts
  local -A __p
  zparseopts -E -A __p P: p: S: s: i: I:
  builtin compadd -A __hits "$@"
  local h; for h in $__hits; do print -r -- "MATCH:${__p[-P]}$h"; done
  builtin compadd "$@"
}'
zpty -w z 'print -r -- READY-$((40+2))'
out=
while zpty -r -t z chunk; do :; done 2>/dev/null
# Wait for the setup to finish.
buf=
while true; do
  zpty -r z chunk || break
  buf+=$chunk
  [[ $buf == *READY-42* ]] && break
done
zpty -w -n z "$line"$'\t'
zpty -w z $'\C-u'"print -r -- DONE-\$((40+2))"
buf=
while true; do
  zpty -r z chunk || break
  buf+=$chunk
  [[ $buf == *DONE-42[$'\r\n']* ]] && break
done
zpty -d z
lines=(${(f)buf//$'\r'/})
print -rl -- ${${(M)lines:#*MATCH:*}##*MATCH:} | sort -u
