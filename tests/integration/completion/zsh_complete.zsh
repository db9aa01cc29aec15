#!/usr/bin/env zsh
# zsh_complete.zsh DIR LINE: what zsh's completion system offers at the end of LINE, one match
# a line, with _pmctl loaded from DIR by compinit. A real interactive zsh runs in a pseudo
# terminal (zpty); compadd is wrapped (calls with -O, -A or -D only collect or filter, they
# offer nothing) to append every match it is given to a file.
#
# Nothing here waits on time. Tab is bound to a widget that completes and then prints a
# marker, and this script sends nothing after the line until that marker is seen: keys sent
# while zsh is still between prompts reach a terminal in canonical mode, where the kernel
# itself would act on them (^U erases the typed line before zle ever reads it).
zmodload zsh/zpty || { print -u2 "zsh/zpty is missing"; exit 2 }
dir=$1 line=$2
matches=$(mktemp) || exit 2
zpty z zsh -f -i
zpty -w z "fpath=(${(q)dir} \$fpath); autoload -Uz compinit; compinit -u -D"
zpty -w z "zstyle ':completion:*' menu no"
zpty -w z "zstyle ':completion:*' list-prompt ''"
zpty -w z "zstyle ':completion:*' select-prompt ''"
zpty -w z "__matches=${(q)matches}"
zpty -w z 'compadd() {
  if [[ ${@[1,(i)(-|--)]} == *-(O|A|D)\ * ]]; then builtin compadd "$@"; return $?; fi
  local -a __hits
  local -A __p
  zparseopts -E -A __p P: p: S: s: i: I:
  builtin compadd -A __hits "$@"
  local h; for h in $__hits; do print -r -- "${__p[-P]}$h" >> $__matches; done
  builtin compadd "$@"
}'
# The marker is computed, so the echo of the typed definition never looks like it, and ends
# with a newline because `zpty -r` returns whole lines.
zpty -w z 'pmd-test-complete() { zle expand-or-complete; print -r -- "COMPLETED-$((40+2))" }'
zpty -w z 'zle -N pmd-test-complete; bindkey "^I" pmd-test-complete'
zpty -w -n z "$line"$'\t'
buf=
while true; do
  zpty -r z chunk || { print -u2 "zsh ended before completing: $buf"; rm -f -- $matches; exit 2 }
  buf+=$chunk
  [[ $buf == *COMPLETED-42* ]] && break
done
zpty -d z
# Removed here, not by an EXIT trap: zpty's child is a fork of this shell and would run it.
sort -u -- $matches
rm -f -- $matches
