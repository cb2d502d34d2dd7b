# What the post-commit hook does for Agent Analytics inside every `git commit` (POSIX sh).
#
# It notes the commit's id, its folder and the agent's variables in the spool, starts the sender
# in the background and returns: reading the commit (lines, trailers), logging and sending happen
# in the sender, never on the commit's path. No Python starts here; `tail` is the one process it
# waits for. The caller silences it: a full disk or an unwritable spool never shows in, or fails,
# a commit. `hook install` (hook_install.py) fills in the words between at signs.

python=@PYTHON@
state=@STATE_DIR@
spool="$state/spool"
tab='	' # one TAB character

# Only where something went wrong: `date` costs a process.
log() {
    printf '%s %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$1" >>"$state/hook.log"
}

# NAME=value for each agent variable that is set: the fixed names, then those named by a prefix
# unless the name speaks of a secret.
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

# The record of the commit: key=value entries, each followed by a NUL byte (the layout of
# /proc/PID/environ), and `end` last, so that a sender never reads a record half written.
commit_record() {
    printf 'sha=%s\0path=%s\0' "$sha" "$PWD" || return
    [ -z "${GIT_DIR-}" ] || printf 'git_dir=%s\0' "$(cd "$GIT_DIR" && pwd -P)" || return
    agent_variables || return
    printf 'end\0'
}

record() {
    case ${AGENT_ANALYTICS_HOOK-} in [Oo][Ff][Ff] | 0 | [Ff][Aa][Ll][Ss][Ee]) return ;; esac
    set -f # words split from the reflog or the environment are never file name patterns
    # HEAD's newest reflog entry names the commit just made and how it was made:
    # "<old id> <new id> <committer> <time> <zone><TAB><action>: <message>".
    git_dir=${GIT_DIR:-.git}
    if [ -f "$git_dir" ]; then # a linked worktree or a submodule: "gitdir: <folder>"
        read -r git_dir <"$git_dir"
        git_dir=${git_dir#gitdir: }
    fi
    entry=$(tail -n 1 "$git_dir/logs/HEAD")
    sha=${entry#* }
    sha=${sha%% *}
    action=${entry#*"$tab"}
    case ${action%%:*} in
    *amend* | *rebase*) return ;; # replayed work, counted when it was first committed
    esac
    case $sha in
    "" | *[!0-9a-f]*) sha=$(git rev-parse HEAD) || return ;; # no reflog to read
    esac

    file="$spool/$sha-$$@RECORD@"
    if { [ -d "$spool" ] || mkdir -p "$spool"; } && commit_record >"$file"; then
        if [ -x "$python" ]; then
            # Behind the developer's next command from its first instruction on.
            nice -n 10 "$python" -m agent_analytics.workstation.hook_sender --background </dev/null >/dev/null 2>&1 &
        else
            log "commit $sha: spooled, @SENDER_GONE@ $python"
        fi
    else
        rm -f "$file"
        log "commit $sha: not recorded: cannot write to $spool"
    fi
}
