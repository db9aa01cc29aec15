# bash completion for pmctl(1).                                      -*- shell-script -*-
# App names come from the running pmd (`pmctl ls --json`), on the bus the command line chose.

_pmctl_bus_args() {
    local i
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --system | --user) printf '%s\n' "${words[i]}" ;;
            --bus | -H | --host | --timeout) printf '%s\n%s\n' "${words[i]}" "${words[i + 1]}" ;;
        esac
    done
}

_pmctl_apps() {
    local json
    json=$(pmctl $(_pmctl_bus_args) ls --json 2>/dev/null) || return
    # Names are [A-Za-z0-9._-]: a plain match is enough, no JSON parser needed.
    grep -o '"name" *: *"[^"]*"' <<<"$json" | sed 's/.*"\([^"]*\)"$/\1/'
}

_pmctl() {
    local cur prev words cword
    _init_completion -n = || return

    local commands="start stop restart delete ls jlist prettylist pid describe signal ping logs
        flush reopen-logs monit reload scale save resurrect daemon-reload daemon-reexec import"
    local global_opts="--system --user --bus -H --host --timeout -h --help --version"

    case $prev in
        --bus | --timeout) return ;;
        -H | --host) _known_hosts_real -a -- "$cur"; return ;;
        --cwd) _filedir -d; return ;;
        --user)
            # `--user` before the command picks the session bus; after `start` it is a user name.
            local i
            for ((i = 1; i < cword - 1; i++)); do
                if [[ ${words[i]} == start ]]; then
                    COMPREPLY=($(compgen -u -- "$cur"))
                    return
                fi
            done
            ;;
        -n | --name | -i | --instances | --env | --kill-timeout | --restart-delay | \
            --max-restarts | --min-uptime | --cron-restart | --max-memory-restart | --ignore-watch | \
            --watch-delay) return ;;
    esac

    # Find the command word, skipping global options and their arguments.
    local i cmd="" cmd_index=0
    for ((i = 1; i < cword; i++)); do
        case ${words[i]} in
            --bus | -H | --host | --timeout) ((i++)) ;;
            -*) ;;
            *) cmd=${words[i]}; cmd_index=$i; break ;;
        esac
    done

    if [[ -z $cmd ]]; then
        if [[ $cur == -* ]]; then
            COMPREPLY=($(compgen -W "$global_opts" -- "$cur"))
        else
            COMPREPLY=($(compgen -W "$commands" -- "$cur"))
        fi
        return
    fi

    case $cmd in
        start)
            # After `--`, complete the command to run like any command line.
            for ((i = cmd_index + 1; i < cword; i++)); do
                if [[ ${words[i]} == -- ]]; then
                    if ((i + 1 == cword)); then
                        COMPREPLY=($(compgen -c -- "$cur"))
                    else
                        _filedir
                    fi
                    return
                fi
            done
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "-n --name -i --instances --cwd --env --user
                    --kill-timeout --restart-delay --max-restarts --min-uptime
                    --no-autorestart --cron-restart --max-memory-restart --watch
                    --ignore-watch --watch-delay --" -- "$cur"))
            else
                # PM2's forms: an app file, a script, or the name of an app pmd has.
                _filedir
                COMPREPLY+=($(compgen -W "$(_pmctl_apps)" -- "$cur"))
            fi
            ;;
        stop | restart | delete | reload)
            COMPREPLY=($(compgen -W "all $(_pmctl_apps)" -- "$cur"))
            ;;
        describe)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "--json" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_pmctl_apps)" -- "$cur"))
            fi
            ;;
        ls)
            COMPREPLY=($(compgen -W "--json" -- "$cur"))
            ;;
        signal)
            if ((cword == cmd_index + 1)); then
                COMPREPLY=($(compgen -W "$(kill -l | tr -s '[:space:]' '\n' | grep '^SIG')" -- "$cur"))
            else
                COMPREPLY=($(compgen -W "$(_pmctl_apps)" -- "$cur"))
            fi
            ;;
        logs)
            if [[ $cur == -* ]]; then
                COMPREPLY=($(compgen -W "-n --lines -f --follow --err --out --timestamp" -- "$cur"))
            elif ((cword == cmd_index + 1)); then
                COMPREPLY=($(compgen -W "$(_pmctl_apps)" -- "$cur"))
            fi
            ;;
        scale | pid)
            if ((cword == cmd_index + 1)); then
                COMPREPLY=($(compgen -W "$(_pmctl_apps)" -- "$cur"))
            fi
            ;;
    esac
} && complete -F _pmctl pmctl

# ex: filetype=sh
