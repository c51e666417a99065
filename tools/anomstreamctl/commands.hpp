#pragma once
// anomstreamctl subcommands. Each takes the arguments after its name and returns the
// process exit code: 0 success, 1 the operation found a problem (e.g. a broken audit
// chain), 2 it could not run (bad arguments, unreachable daemon, unreadable file).

namespace anomstream::tools {

inline constexpr int EXIT_PROBLEM = 1;
inline constexpr int EXIT_FAILURE_TO_RUN = 2;

int run_replay(int argc, char** argv);
int run_watch(int argc, char** argv);
int run_status(int argc, char** argv);
int run_feedback(int argc, char** argv);
int run_audit(int argc, char** argv);
int run_eval(int argc, char** argv);
int run_metrics(int argc, char** argv);
int run_state(int argc, char** argv);
int run_truth(int argc, char** argv);
int run_analyst(int argc, char** argv);
int run_alerts(int argc, char** argv);
int run_explain(int argc, char** argv);
int run_cluster(int argc, char** argv);

}  // namespace anomstream::tools
