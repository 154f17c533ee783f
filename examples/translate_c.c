/* The translator example in C, through tern.h: each token is printed as it is generated (the
 * streaming callback), then the decoded text.
 *   translate_c MODEL.tern TEXT */
#include <stdio.h>
#include <string.h>

#include "tern/tern.h"

struct stream {
  const tern_model* model;
  int32_t eos;
  int tokens;
};

/* A SentencePiece token's text with its word-start mark (U+2581) as a space. */
static int on_token(void* user, size_t sequence, int32_t token) {
  struct stream* s = (struct stream*)user;
  char piece[256];
  (void)sequence;
  s->tokens++;
  if (token == s->eos) return 1; /* reported too: the row ends here */
  if (tern_token_text(s->model, token, piece, sizeof piece, NULL) != TERN_OK) return 1;
  if (strncmp(piece, "\xe2\x96\x81", 3) == 0) printf(" %s", piece + 3);
  else printf("%s", piece);
  fflush(stdout);
  return 1; /* 0 would stop the generation */
}

static int fail(tern_session* session, tern_model* model) {
  fprintf(stderr, "error: %s\n", tern_last_error());
  tern_session_free(session);
  tern_model_free(model);
  return 1;
}

int main(int argc, char** argv) {
  tern_model* model = NULL;
  tern_session* session = NULL;
  tern_session_options options;
  tern_generation_options generation;
  tern_model_info info;
  char text[1024];
  if (argc != 3) {
    fprintf(stderr, "usage: %s MODEL.tern TEXT\n", argv[0]);
    return 2;
  }
  if (tern_model_load(argv[1], &model) != TERN_OK) return fail(session, model);
  tern_session_options_init(&options);
  options.max_new_tokens = 64;
  if (tern_session_create(model, &options, &session) != TERN_OK) return fail(session, model);
  generation.struct_size = sizeof generation;
  if (tern_generation_defaults(session, argv[2], &generation) != TERN_OK) return fail(session, model);
  info.struct_size = sizeof info;
  if (tern_model_get_info(model, &info) != TERN_OK) return fail(session, model);
  struct stream s = {model, info.eos_token_id, 0};
  const char* texts[1] = {argv[2]};
  printf("streamed:");
  if (tern_generate_texts(session, texts, 1, &generation, on_token, &s) != TERN_OK) return fail(session, model);
  if (tern_generated_text(session, 0, text, sizeof text, NULL) != TERN_OK) return fail(session, model);
  printf("\n%d tokens: %s\n", s.tokens, text);
  tern_session_free(session);
  tern_model_free(model);
  return 0;
}
