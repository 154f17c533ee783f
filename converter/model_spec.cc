#include "model_spec.h"

#include <algorithm>
#include <set>

namespace tern::convert {
namespace {

std::string shape_str(const std::vector<int64_t>& s) {
  std::string r = "[";
  for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
  return r + "]";
}

class SpecBuilder {
 public:
  SpecBuilder(TensorMap& src, ModelSpec& spec) : src_(src), spec_(spec) {}

  // A linear layer; several sources are concatenated along output rows (q, k, v -> qkv).
  void linear(const std::string& name, const std::vector<std::string>& prefixes, int64_t out_each,
              int64_t in, const std::string& weight = "weight", const std::string& bias = "bias") {
    OutTensor w{name + ".weight", {}, {0, in}, {}, Role::kLinear};
    OutTensor b{name + ".bias", {}, {0}, {}, Role::kParam};
    for (const std::string& p : prefixes) {
      append(w, p + "." + weight, {out_each, in});
      if (!bias.empty()) append(b, p + "." + bias, {out_each});
    }
    push(std::move(w));
    push(std::move(b));
  }
  // A fused source tensor already [3*out, in] (torch in_proj_weight).
  void linear_fused(const std::string& name, const std::string& weight, const std::string& bias,
                    int64_t out, int64_t in) {
    OutTensor w{name + ".weight", {}, {0, in}, {}, Role::kLinear};
    OutTensor b{name + ".bias", {}, {0}, {}, Role::kParam};
    append(w, weight, {out, in});
    append(b, bias, {out});
    push(std::move(w));
    push(std::move(b));
  }
  void norm(const std::string& name, const std::string& prefix, int64_t dim) {
    param(name + ".weight", prefix + ".weight", dim);
    param(name + ".bias", prefix + ".bias", dim);
  }
  // A Linear whose rows are several source weights (no bias: T5).
  void linear_no_bias(const std::string& name, const std::vector<std::string>& sources, int64_t out_each,
                      int64_t in) {
    OutTensor w{name + ".weight", {}, {0, in}, {}, Role::kLinear};
    for (const std::string& src : sources) append(w, src, {out_each, in});
    push(std::move(w));
  }
  void param2d(const std::string& name, const std::string& source, int64_t rows, int64_t cols) {
    OutTensor t{name, {}, {0, cols}, {}, Role::kParam};
    append(t, source, {rows, cols});
    push(std::move(t));
  }
  void param(const std::string& name, const std::string& source, int64_t dim) {
    OutTensor t{name, {}, {0}, {}, Role::kParam};
    append(t, source, {dim});
    push(std::move(t));
  }
  void embedding(const std::string& name, const std::string& source, int64_t rows, int64_t dim) {
    OutTensor t{name, {}, {0, dim}, {}, Role::kEmbedding};
    append(t, source, {rows, dim});
    push(std::move(t));
  }
  bool has(const std::string& source) const { return src_.count(source) > 0; }
  bool same_data(const std::string& a, const std::string& b) const {
    auto x = src_.find(a), y = src_.find(b);
    return x != src_.end() && y != src_.end() && x->second.data == y->second.data;
  }
  void ignore(const std::string& source, const std::string& why) {
    if (src_.count(source) && used_.insert(source).second)
      spec_.notes.push_back("ignored '" + source + "': " + why);
  }

  // Every source tensor must be used or explicitly ignored; all problems are reported together.
  void finish() {
    for (const auto& [name, t] : src_)
      if (!used_.count(name))
        problems_.push_back("unexpected tensor '" + name + "' " + shape_str(t.shape));
    if (problems_.empty()) return;
    std::string msg = std::to_string(problems_.size()) + " problem(s) in the checkpoint: ";
    for (size_t i = 0; i < problems_.size(); ++i) msg += (i ? "; " : "") + problems_[i];
    throw ConvertError(msg);
  }

 private:
  void append(OutTensor& t, const std::string& source, const std::vector<int64_t>& shape) {
    auto it = src_.find(source);
    if (it == src_.end()) {
      problems_.push_back("missing tensor '" + source + "' " + shape_str(shape));
      return;
    }
    used_.insert(source);
    if (it->second.shape != shape) {
      problems_.push_back("tensor '" + source + "' has shape " + shape_str(it->second.shape) +
                          ", the config needs " + shape_str(shape));
      return;
    }
    t.sources.push_back(source);
    t.shape[0] += shape[0];
    t.data.insert(t.data.end(), it->second.data.begin(), it->second.data.end());
  }
  void push(OutTensor t) {
    if (!t.sources.empty()) spec_.tensors.push_back(std::move(t));
  }

  TensorMap& src_;
  ModelSpec& spec_;
  std::set<std::string> used_;
  std::vector<std::string> problems_;
};

int get_int(const nlohmann::json& c, const char* key) {
  if (!c.contains(key) || !c[key].is_number_integer())
    throw ConvertError(std::string("config: '") + key + "' is missing or not an integer");
  return c[key].get<int>();
}

int get_int(const nlohmann::json& c, const char* key, int fallback) {
  return c.contains(key) && !c[key].is_null() ? get_int(c, key) : fallback;
}

float get_float(const nlohmann::json& c, const char* key, float fallback) {
  if (!c.contains(key) || c[key].is_null()) return fallback;
  if (!c[key].is_number()) throw ConvertError(std::string("config: '") + key + "' is not a number");
  return c[key].get<float>();
}

void check_positive(const nlohmann::json& c, std::initializer_list<const char*> keys) {
  for (const char* k : keys)
    if (get_int(c, k) <= 0) throw ConvertError(std::string("config: '") + k + "' must be positive");
}

// How many labels the config names (id2label's entries, else num_labels), without naming them:
// the classifier's shape is checked against this count first, and only a count that matched a
// tensor of the checkpoint gets its names (num_labels comes from the file: 2^31 - 1 names were 64 GB).
int label_count(const nlohmann::json& c, int fallback_count) {
  if (c.contains("id2label") && c["id2label"].is_object() && !c["id2label"].empty())
    return int(c["id2label"].size());
  return std::max(0, get_int(c, "num_labels", fallback_count));
}

// id2label {"0": "neg", "1": "pos"} -> names by id; else num_labels generic names.
std::vector<std::string> labels_of(const nlohmann::json& c, int fallback_count) {
  std::vector<std::string> labels;
  if (c.contains("id2label") && c["id2label"].is_object() && !c["id2label"].empty()) {
    labels.resize(c["id2label"].size());
    for (auto& [k, v] : c["id2label"].items()) {
      size_t id = 0;
      try {
        id = std::stoul(k);
      } catch (...) {
        throw ConvertError("config: id2label key '" + k + "' is not a number");
      }
      if (id >= labels.size()) throw ConvertError("config: id2label ids are not 0..N-1");
      labels[id] = v.get<std::string>();
    }
    return labels;
  }
  int n = get_int(c, "num_labels", fallback_count);
  for (int i = 0; i < n; ++i) labels.push_back("LABEL_" + std::to_string(i));
  return labels;
}

fb::Activation activation_of(const std::string& act) {
  if (act == "gelu") return fb::Activation::GeluErf;
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast")
    return fb::Activation::GeluTanh;
  if (act == "relu") return fb::Activation::Relu;
  throw ConvertError("config: activation '" + act + "' is not supported (gelu, gelu_new, relu)");
}

// Old hub checkpoints name LayerNorm parameters gamma/beta.
void rename_old_layer_norms(TensorMap& t) {
  TensorMap renamed;
  for (auto& [name, v] : t) {
    std::string n = name;
    auto swap_suffix = [&](const std::string& from, const std::string& to) {
      if (n.find("LayerNorm.") != std::string::npos && n.size() > from.size() &&
          n.compare(n.size() - from.size(), from.size(), from) == 0)
        n = n.substr(0, n.size() - from.size()) + to;
    };
    swap_suffix(".gamma", ".weight");
    swap_suffix(".beta", ".bias");
    renamed.emplace(n, std::move(v));
  }
  t.swap(renamed);
}

}  // namespace

ModelSpec bert_spec(const nlohmann::json& c, TensorMap& src) {
  rename_old_layer_norms(src);
  ModelSpec spec;
  spec.arch = fb::Arch::Bert;
  check_positive(c, {"vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                     "intermediate_size", "max_position_embeddings"});
  const std::string pos_type = c.value("position_embedding_type", std::string("absolute"));
  if (pos_type != "absolute")
    throw ConvertError("config: position_embedding_type '" + pos_type + "' is not supported");
  auto& e = spec.encoder;
  e.vocab_size = get_int(c, "vocab_size");
  e.hidden_size = get_int(c, "hidden_size");
  e.num_layers = get_int(c, "num_hidden_layers");
  e.num_heads = get_int(c, "num_attention_heads");
  e.intermediate_size = get_int(c, "intermediate_size");
  e.max_position_embeddings = get_int(c, "max_position_embeddings");
  e.type_vocab_size = get_int(c, "type_vocab_size", 2);
  e.layer_norm_eps = get_float(c, "layer_norm_eps", 1e-12f);
  e.activation = activation_of(c.value("hidden_act", std::string("gelu")));
  e.embedding_norm = true;
  e.pooler = true;
  e.pad_token_id = get_int(c, "pad_token_id", 0);
  if (e.hidden_size % e.num_heads)
    throw ConvertError("config: num_attention_heads does not divide hidden_size");
  e.num_labels = label_count(c, 2);
  const int64_t H = e.hidden_size, I = e.intermediate_size;

  SpecBuilder b(src, spec);
  b.ignore("bert.embeddings.position_ids", "a buffer of 0..max_position-1, recomputed at run time");
  b.embedding("embed.word", "bert.embeddings.word_embeddings.weight", e.vocab_size, H);
  b.embedding("embed.position", "bert.embeddings.position_embeddings.weight", e.max_position_embeddings, H);
  if (e.type_vocab_size > 0)
    b.embedding("embed.token_type", "bert.embeddings.token_type_embeddings.weight", e.type_vocab_size, H);
  b.norm("embed.norm", "bert.embeddings.LayerNorm", H);
  for (int l = 0; l < e.num_layers; ++l) {
    const std::string s = "bert.encoder.layer." + std::to_string(l), d = "layers." + std::to_string(l);
    b.linear(d + ".attn.qkv", {s + ".attention.self.query", s + ".attention.self.key", s + ".attention.self.value"}, H, H);
    b.linear(d + ".attn.out", {s + ".attention.output.dense"}, H, H);
    b.norm(d + ".attn.norm", s + ".attention.output.LayerNorm", H);
    b.linear(d + ".ffn.in", {s + ".intermediate.dense"}, I, H);
    b.linear(d + ".ffn.out", {s + ".output.dense"}, H, I);
    b.norm(d + ".ffn.norm", s + ".output.LayerNorm", H);
  }
  b.linear("pooler", {"bert.pooler.dense"}, H, H);
  b.linear("classifier", {"classifier"}, e.num_labels, H);
  b.finish();
  spec.labels = labels_of(c, 2);  // e.num_labels names, now that the classifier has them
  return spec;
}

ModelSpec torch_encoder_spec(const nlohmann::json& c, TensorMap& src) {
  ModelSpec spec;
  spec.arch = fb::Arch::TorchEncoder;
  check_positive(c, {"vocab_size", "d_model", "nhead", "dim_feedforward", "num_layers"});
  const std::string pooling = c.value("pooling", std::string("first_token"));
  if (pooling != "first_token")
    throw ConvertError("config: pooling '" + pooling + "' is not supported (first_token)");
  auto& e = spec.encoder;
  e.vocab_size = get_int(c, "vocab_size");
  e.hidden_size = get_int(c, "d_model");
  e.num_heads = get_int(c, "nhead");
  e.intermediate_size = get_int(c, "dim_feedforward");
  e.num_layers = get_int(c, "num_layers");
  e.layer_norm_eps = get_float(c, "layer_norm_eps", 1e-5f);
  const std::string act = c.value("activation", std::string("relu"));
  if (act != "relu" && act != "gelu")
    throw ConvertError("config: activation '" + act + "': torch encoders take relu or gelu");
  e.activation = activation_of(act);
  e.norm_first = c.value("norm_first", false);
  e.pad_token_id = get_int(c, "pad_token_id", 0);
  if (e.hidden_size % e.num_heads) throw ConvertError("config: nhead does not divide d_model");
  e.num_labels = label_count(c, 2);
  e.final_norm = src.count("encoder.norm.weight") > 0;
  const int64_t H = e.hidden_size, I = e.intermediate_size;

  SpecBuilder b(src, spec);
  b.embedding("embed.word", "embedding.weight", e.vocab_size, H);
  for (int l = 0; l < e.num_layers; ++l) {
    const std::string s = "encoder.layers." + std::to_string(l), d = "layers." + std::to_string(l);
    b.linear_fused(d + ".attn.qkv", s + ".self_attn.in_proj_weight", s + ".self_attn.in_proj_bias", 3 * H, H);
    b.linear(d + ".attn.out", {s + ".self_attn.out_proj"}, H, H);
    b.norm(d + ".attn.norm", s + ".norm1", H);
    b.linear(d + ".ffn.in", {s + ".linear1"}, I, H);
    b.linear(d + ".ffn.out", {s + ".linear2"}, H, I);
    b.norm(d + ".ffn.norm", s + ".norm2", H);
  }
  if (e.final_norm) b.norm("final_norm", "encoder.norm", H);
  b.linear("classifier", {"head"}, e.num_labels, H);
  b.finish();
  spec.labels = labels_of(c, 2);  // e.num_labels names, now that the classifier has them
  return spec;
}

namespace {

// One GenerationConfig from generation_config.json or a task_specific_params entry. For an
// encoder-decoder, HF's max_length/min_length count the decoder start token.
std::unique_ptr<fb::GenerationConfigT> generation_of(const nlohmann::json& g, const std::string& name) {
  auto out = std::make_unique<fb::GenerationConfigT>();
  out->name = name;
  out->prefix = g.value("prefix", std::string());
  if (g.contains("max_new_tokens") && g["max_new_tokens"].is_number_integer()) out->max_new_tokens = g["max_new_tokens"];
  else if (g.contains("max_length") && g["max_length"].is_number_integer()) out->max_new_tokens = std::max(1, g["max_length"].get<int>() - 1);
  if (g.contains("min_new_tokens") && g["min_new_tokens"].is_number_integer()) out->min_new_tokens = g["min_new_tokens"];
  else if (g.contains("min_length") && g["min_length"].is_number_integer()) out->min_new_tokens = std::max(0, g["min_length"].get<int>() - 1);
  out->num_beams = get_int(g, "num_beams", 1);
  out->length_penalty = get_float(g, "length_penalty", 1.0f);
  out->no_repeat_ngram_size = get_int(g, "no_repeat_ngram_size", 0);
  out->early_stopping = g.contains("early_stopping") && g["early_stopping"] == true;
  out->do_sample = g.value("do_sample", false);
  out->temperature = get_float(g, "temperature", 1.0f);
  out->top_k = get_int(g, "top_k", 0);
  out->top_p = get_float(g, "top_p", 1.0f);
  return out;
}

}  // namespace

ModelSpec t5_spec(const nlohmann::json& c, const nlohmann::json& generation, TensorMap& src) {
  ModelSpec spec;
  spec.arch = fb::Arch::T5;
  check_positive(c, {"vocab_size", "d_model", "d_kv", "d_ff", "num_layers", "num_heads"});
  auto& t = spec.t5;
  t.vocab_size = get_int(c, "vocab_size");
  t.d_model = get_int(c, "d_model");
  t.d_kv = get_int(c, "d_kv");
  t.d_ff = get_int(c, "d_ff");
  t.num_layers = get_int(c, "num_layers");
  t.num_decoder_layers = get_int(c, "num_decoder_layers", t.num_layers);
  t.num_heads = get_int(c, "num_heads");
  t.relative_attention_num_buckets = get_int(c, "relative_attention_num_buckets", 32);
  t.relative_attention_max_distance = get_int(c, "relative_attention_max_distance", 128);
  t.layer_norm_epsilon = get_float(c, "layer_norm_epsilon", 1e-6f);
  std::string proj = c.value("feed_forward_proj", std::string("relu"));
  t.gated = proj.rfind("gated-", 0) == 0;
  std::string act = t.gated ? proj.substr(6) : proj;
  if (act == "gelu") act = "gelu_new";  // what transformers' T5Config does for gated-gelu
  if (act != "relu" && act != "gelu_new")
    throw ConvertError("config: feed_forward_proj '" + proj + "' is not supported (relu, gated-gelu)");
  t.activation = activation_of(act);
  t.tied_embeddings = c.value("tie_word_embeddings", true);
  t.decoder_start_token_id = get_int(c, "decoder_start_token_id", 0);
  t.eos_token_id = get_int(c, "eos_token_id", 1);
  t.pad_token_id = get_int(c, "pad_token_id", 0);
  if (t.num_decoder_layers <= 0) throw ConvertError("config: num_decoder_layers must be positive");
  for (int id : {t.decoder_start_token_id, t.eos_token_id, t.pad_token_id})
    if (id < 0 || id >= t.vocab_size) throw ConvertError("config: special token id " + std::to_string(id) + " is outside the vocab");
  spec.generation = generation_of(generation.is_object() ? generation : nlohmann::json::object(), "");
  if (c.contains("task_specific_params") && c["task_specific_params"].is_object())
    for (auto& [name, params] : c["task_specific_params"].items())
      if (params.is_object()) spec.tasks.push_back(generation_of(params, name));

  const int64_t D = t.d_model, inner = int64_t(t.d_kv) * t.num_heads, F = t.d_ff, V = t.vocab_size;
  SpecBuilder b(src, spec);
  for (const char* alias : {"encoder.embed_tokens.weight", "decoder.embed_tokens.weight"})
    if (b.has(alias) && !b.same_data(alias, "shared.weight"))
      throw ConvertError(std::string("'") + alias + "' differs from 'shared.weight': untied input embeddings are not supported");
    else b.ignore(alias, "the same tensor as shared.weight");
  b.ignore("decoder.block.0.layer.1.EncDecAttention.relative_attention_bias.weight",
           "cross-attention has no position bias; original T5 checkpoints carry this unused tensor");
  b.embedding("embed", "shared.weight", V, D);
  if (t.tied_embeddings) {
    if (b.has("lm_head.weight") && !b.same_data("lm_head.weight", "shared.weight"))
      throw ConvertError("'lm_head.weight' differs from 'shared.weight' but tie_word_embeddings is true");
    b.ignore("lm_head.weight", "tied to shared.weight");
    b.linear_no_bias("lm_head", {"shared.weight"}, V, D);
  } else {
    b.linear_no_bias("lm_head", {"lm_head.weight"}, V, D);
  }
  auto ffn = [&](const std::string& d, const std::string& s) {
    if (t.gated) b.linear_no_bias(d + ".ffn.in", {s + ".DenseReluDense.wi_0.weight", s + ".DenseReluDense.wi_1.weight"}, F, D);
    else b.linear_no_bias(d + ".ffn.in", {s + ".DenseReluDense.wi.weight"}, F, D);
    b.linear_no_bias(d + ".ffn.out", {s + ".DenseReluDense.wo.weight"}, D, F);
    b.param(d + ".ffn.norm.weight", s + ".layer_norm.weight", D);
  };
  for (int l = 0; l < t.num_layers; ++l) {
    const std::string s = "encoder.block." + std::to_string(l) + ".layer.", d = "enc.layers." + std::to_string(l);
    b.linear_no_bias(d + ".attn.qkv", {s + "0.SelfAttention.q.weight", s + "0.SelfAttention.k.weight", s + "0.SelfAttention.v.weight"}, inner, D);
    b.linear_no_bias(d + ".attn.out", {s + "0.SelfAttention.o.weight"}, D, inner);
    b.param(d + ".attn.norm.weight", s + "0.layer_norm.weight", D);
    ffn(d, s + "1");
  }
  for (int l = 0; l < t.num_decoder_layers; ++l) {
    const std::string s = "decoder.block." + std::to_string(l) + ".layer.", d = "dec.layers." + std::to_string(l);
    b.linear_no_bias(d + ".self.qkv", {s + "0.SelfAttention.q.weight", s + "0.SelfAttention.k.weight", s + "0.SelfAttention.v.weight"}, inner, D);
    b.linear_no_bias(d + ".self.out", {s + "0.SelfAttention.o.weight"}, D, inner);
    b.param(d + ".self.norm.weight", s + "0.layer_norm.weight", D);
    b.linear_no_bias(d + ".cross.q", {s + "1.EncDecAttention.q.weight"}, inner, D);
    b.linear_no_bias(d + ".cross.kv", {s + "1.EncDecAttention.k.weight", s + "1.EncDecAttention.v.weight"}, inner, D);
    b.linear_no_bias(d + ".cross.out", {s + "1.EncDecAttention.o.weight"}, D, inner);
    b.param(d + ".cross.norm.weight", s + "1.layer_norm.weight", D);
    ffn(d, s + "2");
  }
  const int64_t buckets = t.relative_attention_num_buckets;
  b.param2d("enc.rel_bias", "encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", buckets, t.num_heads);
  b.param2d("dec.rel_bias", "decoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight", buckets, t.num_heads);
  b.param("enc.final_norm.weight", "encoder.final_layer_norm.weight", D);
  b.param("dec.final_norm.weight", "decoder.final_layer_norm.weight", D);
  b.finish();
  return spec;
}

}  // namespace tern::convert
