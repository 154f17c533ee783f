/* A C consumer of an installed libtern (tern/tern.h): prints the label of one text.
 *   classify_c MODEL.tern TEXT */
#include <stdio.h>
#include <string.h>

#include <tern/tern.h>

int main(int argc, char** argv) {
  tern_model* model = NULL;
  tern_session* session = NULL;
  size_t label = 0;
  float probability = 0;
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.tern TEXT\n", argv[0]);
    return 2;
  }
  /* The library this program runs with is the one its headers describe. */
  if (strcmp(tern_version(), TERN_VERSION_STRING) != 0) {
    fprintf(stderr, "libtern %s, headers %s\n", tern_version(), TERN_VERSION_STRING);
    return 1;
  }
  if (tern_model_load(argv[1], &model) != 0 || tern_session_create(model, NULL, &session) != 0 ||
      tern_classify(session, argv[2], &label, &probability) != 0) {
    fprintf(stderr, "error: %s\n", tern_last_error());
    tern_session_free(session);
    tern_model_free(model);
    return 1;
  }
  printf("%s\n", tern_model_label(model, label));
  tern_session_free(session);
  tern_model_free(model);
  return 0;
}
