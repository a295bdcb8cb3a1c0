/* The `disco` subcommands. Each takes the arguments after its own name. */
#ifndef DISCO_COMMANDS_H
#define DISCO_COMMANDS_H

typedef struct {
    const char *name;
    const char *summary;
    const char *usage; /* printed by `disco NAME --help` */
    int (*run)(int argc, char **argv);
} Command;

int command_info(int argc, char **argv);
int command_classify(int argc, char **argv);
int command_toy(int argc, char **argv);
int command_train(int argc, char **argv);
int command_encode(int argc, char **argv);
int command_prior(int argc, char **argv);
int command_sample(int argc, char **argv);
int command_data(int argc, char **argv);
int command_weights(int argc, char **argv);
int command_pipeline(int argc, char **argv);
int command_fid(int argc, char **argv);

#endif
