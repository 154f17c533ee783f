/* The classifier example in C, through tern.h.
 *   classify_c MODEL.tern TEXT... */
#include <stdio.h>

#include "tern/tern.h"

int main(int argc, char** argv) {
  tern_model* model = NULL;
  tern_session* session = NULL;
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODEL.tern TEXT...\n", argv[0]);
    return 2;
  }
  if (tern_model_load(argv[1], &model) != 0) {
    fprintf(stderr, "error: %s\n", tern_last_error());
    return 1;
  }
  if (tern_session_create(model, NULL, &session) != 0) {
    fprintf(stderr, "error: %s\n", tern_last_error());
    tern_model_free(model);
    return 1;
  }
  int status = 0;
  for (int i = 2; i < argc && status == 0; ++i) {
    size_t label;
    float probability;
    if (tern_classify(session, argv[i], &label, &probability) != 0) {
      fprintf(stderr, "error: %s\n", tern_last_error());
      status = 1;
    } else {
      printf("%s\t%.3f\t%s\n", tern_model_label(model, label), probability, argv[i]);
    }
  }
  tern_session_free(session);
  tern_model_free(model);
  return status;
}
