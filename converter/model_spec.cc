#include "model_spec.h"

#include <limits>
#include <set>

#include "tasks/generator.h"

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
    if (x == src_.end() || y == src_.end()) return false;
    const SourceTensor &s = x->second, &t = y->second;
    // torch saves tied weights as one storage: the same view is the same data, nothing to decode.
    if (s.storage == t.storage && s.offset == t.offset && s.stride == t.stride && s.shape == t.shape &&
        s.dtype == t.dtype)
      return true;
    return s.shape == t.shape && s.floats() == t.floats();
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
    t.parts.push_back(&it->second);
  }
  void push(OutTensor t) {
    if (!t.sources.empty()) spec_.tensors.push_back(std::move(t));
  }

  TensorMap& src_;
  ModelSpec& spec_;
  std::set<std::string> used_;
  std::vector<std::string> problems_;
};

// Layer norm epsilons: the runtime takes (0, 1); 0 would divide by zero on a constant row.
bool norm_epsilon(float v) { return v > 0 && v < 1; }

// id2label {"0": "neg", "1": "pos"} -> names by id; else num_labels generic names.
std::vector<std::string> labels_of(const JsonFields& c, int fallback_count) {
  std::vector<std::string> labels;
  const JsonFields id2label = c.object_or_empty("id2label");
  if (!id2label.json().empty()) {
    const int64_t n = int64_t(id2label.json().size());
    labels.resize(size_t(n));
    for (auto& [k, v] : id2label.json().items()) {
      const size_t id = size_t(json_id_key(k, id2label.where(), 0, n - 1));
      labels[id] = id2label.string_or(k, "");
    }
    return labels;
  }
  // Bounded before a name is made for each: the runtime's limit (runtime/models/encoder.cc).
  const int n = c.integer_or("num_labels", fallback_count, 1, 1 << 20);
  for (int i = 0; i < n; ++i) labels.push_back("LABEL_" + std::to_string(i));
  return labels;
}

fb::Activation activation_of(const std::string& act, const std::string& field) {
  if (act == "gelu") return fb::Activation::GeluErf;
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast")
    return fb::Activation::GeluTanh;
  if (act == "relu") return fb::Activation::Relu;
  throw ConvertError(field + " is '" + act + "', not supported (gelu, gelu_new, relu)");
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

int64_t OutTensor::numel() const {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

void OutTensor::read(float* out) const {
  for (const SourceTensor* p : parts) {
    p->read(out);
    out += p->numel();
  }
}

ModelSpec bert_spec(const JsonFields& c, TensorMap& src) {
  rename_old_layer_norms(src);
  ModelSpec spec;
  spec.arch = fb::Arch::Bert;
  const std::string pos_type = c.string_or("position_embedding_type", "absolute");
  if (pos_type != "absolute")
    throw ConvertError(c.field("position_embedding_type") + " is '" + pos_type + "', not supported (absolute)");
  auto& e = spec.encoder;
  e.vocab_size = c.integer("vocab_size", 1);
  e.hidden_size = c.integer("hidden_size", 1);
  e.num_layers = c.integer("num_hidden_layers", 1);
  e.num_heads = c.integer("num_attention_heads", 1);
  e.intermediate_size = c.integer("intermediate_size", 1);
  e.max_position_embeddings = c.integer("max_position_embeddings", 1);
  e.type_vocab_size = c.integer_or("type_vocab_size", 2, 0);
  e.layer_norm_eps = c.number_or("layer_norm_eps", 1e-12f, norm_epsilon, "a number in (0, 1)");
  e.activation = activation_of(c.string_or("hidden_act", "gelu"), c.field("hidden_act"));
  e.embedding_norm = true;
  e.pooler = true;
  e.pad_token_id = c.integer_or("pad_token_id", 0);
  if (e.hidden_size % e.num_heads)
    throw ConvertError(c.field("num_attention_heads") + " is " + std::to_string(e.num_heads) +
                       ", which does not divide hidden_size " + std::to_string(e.hidden_size));
  spec.labels = labels_of(c, 2);
  e.num_labels = int(spec.labels.size());
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
  return spec;
}

ModelSpec torch_encoder_spec(const JsonFields& c, TensorMap& src) {
  ModelSpec spec;
  spec.arch = fb::Arch::TorchEncoder;
  const std::string pooling = c.string_or("pooling", "first_token");
  if (pooling != "first_token")
    throw ConvertError(c.field("pooling") + " is '" + pooling + "', not supported (first_token)");
  auto& e = spec.encoder;
  e.vocab_size = c.integer("vocab_size", 1);
  e.hidden_size = c.integer("d_model", 1);
  e.num_heads = c.integer("nhead", 1);
  e.intermediate_size = c.integer("dim_feedforward", 1);
  e.num_layers = c.integer("num_layers", 1);
  e.layer_norm_eps = c.number_or("layer_norm_eps", 1e-5f, norm_epsilon, "a number in (0, 1)");
  const std::string act = c.string_or("activation", "relu");
  if (act != "relu" && act != "gelu")
    throw ConvertError(c.field("activation") + " is '" + act + "': torch encoders take relu or gelu");
  e.activation = activation_of(act, c.field("activation"));
  e.norm_first = c.boolean_or("norm_first", false);
  e.pad_token_id = c.integer_or("pad_token_id", 0);
  if (e.hidden_size % e.num_heads)
    throw ConvertError(c.field("nhead") + " is " + std::to_string(e.num_heads) + ", which does not divide d_model " +
                       std::to_string(e.hidden_size));
  spec.labels = labels_of(c, 2);
  e.num_labels = int(spec.labels.size());
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
  return spec;
}

namespace {

// One GenerationConfig from generation_config.json or a task_specific_params entry. For an
// encoder-decoder, HF's max_length/min_length count the decoder start token. Lengths are read in
// full range first: max_length - 1 of INT_MIN used to overflow.
std::unique_ptr<fb::GenerationConfigT> generation_of(const JsonFields& g, const std::string& name) {
  constexpr int64_t kMax = std::numeric_limits<int>::max();
  auto out = std::make_unique<fb::GenerationConfigT>();
  out->name = name;
  out->prefix = g.string_or("prefix", "");
  if (g.has("max_new_tokens")) out->max_new_tokens = g.integer("max_new_tokens", 1, kMax);
  else if (g.has("max_length")) out->max_new_tokens = std::max(1, g.integer("max_length", 1, kMax) - 1);
  if (g.has("min_new_tokens")) out->min_new_tokens = g.integer("min_new_tokens", 0, kMax);
  else if (g.has("min_length")) out->min_new_tokens = std::max(0, g.integer("min_length", 0, kMax) - 1);
  out->num_beams = g.integer_or("num_beams", 1, 1, kMaxBeams);
  out->length_penalty = g.number_or("length_penalty", 1.0f, any_finite, "a finite number");
  out->no_repeat_ngram_size = g.integer_or("no_repeat_ngram_size", 0, 0);
  out->early_stopping = g.has("early_stopping") && g.json()["early_stopping"] == true;  // or "never"
  out->do_sample = g.boolean_or("do_sample", false);
  out->temperature = g.number_or("temperature", 1.0f, positive, "a finite number > 0");
  out->top_k = g.integer_or("top_k", 0, 0);
  out->top_p = g.number_or("top_p", 1.0f, [](float v) { return v > 0 && v <= 1; }, "a number in (0, 1]");
  if (out->do_sample && out->num_beams > 1)
    throw ConvertError(g.where() + ": do_sample with num_beams " + std::to_string(out->num_beams) +
                       " (beam sampling) is not supported by the runtime");
  return out;
}

}  // namespace

ModelSpec t5_spec(const JsonFields& c, const JsonFields& generation, TensorMap& src) {
  ModelSpec spec;
  spec.arch = fb::Arch::T5;
  auto& t = spec.t5;
  t.vocab_size = c.integer("vocab_size", 1);
  t.d_model = c.integer("d_model", 1);
  t.d_kv = c.integer("d_kv", 1);
  t.d_ff = c.integer("d_ff", 1);
  t.num_layers = c.integer("num_layers", 1);
  t.num_decoder_layers = c.integer_or("num_decoder_layers", t.num_layers, 1);
  t.num_heads = c.integer("num_heads", 1);
  // The bucket formula halves the buckets twice and divides by log(max_distance / max_exact).
  t.relative_attention_num_buckets = c.integer_or("relative_attention_num_buckets", 32, 2);
  t.relative_attention_max_distance = c.integer_or("relative_attention_max_distance", 128, 2);
  t.layer_norm_epsilon = c.number_or("layer_norm_epsilon", 1e-6f, norm_epsilon, "a number in (0, 1)");
  std::string proj = c.string_or("feed_forward_proj", "relu");
  t.gated = proj.rfind("gated-", 0) == 0;
  std::string act = t.gated ? proj.substr(6) : proj;
  if (act == "gelu") act = "gelu_new";  // what transformers' T5Config does for gated-gelu
  if (act != "relu" && act != "gelu_new")
    throw ConvertError(c.field("feed_forward_proj") + " is '" + proj + "', not supported (relu, gated-gelu)");
  t.activation = activation_of(act, c.field("feed_forward_proj"));
  t.tied_embeddings = c.boolean_or("tie_word_embeddings", true);
  t.decoder_start_token_id = c.integer_or("decoder_start_token_id", 0, 0, t.vocab_size - 1);
  t.eos_token_id = c.integer_or("eos_token_id", 1, 0, t.vocab_size - 1);
  t.pad_token_id = c.integer_or("pad_token_id", 0, 0, t.vocab_size - 1);
  spec.generation = generation_of(generation, "");
  spec.generation_sources.push_back(generation.where());
  const JsonFields tasks = c.object_or_empty("task_specific_params");
  for (auto& [name, params] : tasks.json().items())
    if (params.is_object()) {
      spec.tasks.push_back(generation_of(JsonFields(params, tasks.where() + "." + name), name));
      spec.generation_sources.push_back(tasks.where() + "." + name);
    }

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
