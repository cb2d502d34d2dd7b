# What the post-commit hook does for Agent Analytics, inside every `git commit` (POSIX sh).
#
# It notes the commit's id, its folder and the agent's variables in the spool, starts the sender
# in the background and returns: reading the commit (lines, trailers) and sending it happen in
# the sender, never on the commit's path. No Python starts here. The caller silences it, so a
# full disk or an unwritable spool never shows in, or fails, a commit.
# `hook install` (hook_install.py) fills in the capitalised words between at signs.

python=@PYTHON@
state=@STATE_DIR@
spool="$state/spool"

log() {
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >>"$state/hook.log"
}

# NAME=value and a NUL byte (the layout of /proc/PID/environ) for each agent variable that is set:
# the fixed names, then those named by prefix unless the name speaks of a secret.
agent_variables() {
    for name in @AGENT_VARIABLES@; do
        eval "value=\${$name-}"
        [ -z "$value" ] || printf '%s=%s\0' "$name" "$value" || return
    done
    IFS='
'
    for line in $(export -p); do
        name=${line#export }
        name=${name#declare -x }
        name=${name%%=*}
        case $name in
        *[!A-Za-z0-9_]* | @SECRET_NAMES@) ;;
        @AGENT_PREFIXES@)
            eval "value=\${$name-}"
            [ -z "$value" ] || printf '%s=%s\0' "$name" "$value" || return
            ;;
        esac
    done
    unset IFS
}

# What the spool keeps of the commit: key=value fields, then the agent variables.
commit_record() {
    printf 'sha=%s\0path=%s\0' "$sha" "$PWD" || return
    [ -z "${GIT_DIR-}" ] || printf 'git_dir=%s\0' "$(cd "$GIT_DIR" && pwd -P)" || return
    agent_variables
}

record() {
    case ${AGENT_ANALYTICS_HOOK-} in [Oo][Ff][Ff] | 0 | [Ff][Aa][Ll][Ss][Ee]) return ;; esac
    set -f
    # HEAD's newest reflog entry names the commit just made and how it was made:
    # "<old id> <new id> <committer> <time> <zone><TAB><action>: <message>".
    git_dir=${GIT_DIR:-.git}
    if [ -f "$git_dir" ]; then # a linked worktree or a submodule: "gitdir: <folder>"
        read -r git_dir <"$git_dir"
        git_dir=${git_dir#gitdir: }
    fi
    entry=$(tail -n 1 "$git_dir/logs/HEAD")
    tab=$(printf '\t')
    sha=${entry#* }
    sha=${sha%% *}
    action=${entry#*"$tab"}
    case ${action%%:*} in
    *amend* | *rebase*) return ;; # replayed work, counted when it was first committed
    esac
    case $sha in
    "" | *[!0-9a-f]*) sha=$(git rev-parse HEAD) || return ;; # no reflog to read
    esac

    tmp="$spool/.$sha.$$"
    if { [ -d "$spool" ] || mkdir -p "$spool"; } && commit_record >"$tmp" && mv -f "$tmp" "$spool/$sha-$$.commit"; then
        if [ -x "$python" ]; then
            "$python" -m agent_analytics.workstation.hook_sender --background </dev/null >/dev/null 2>&1 &
            log "commit $sha: spooled, sender started"
        else
            log "commit $sha: spooled, @SENDER_GONE@ $python"
        fi
    else
        rm -f "$tmp"
        log "commit $sha: not recorded: cannot write to $spool"
    fi
}
