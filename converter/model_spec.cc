#include "model_spec.h"

#include <cmath>
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
  // A view (nothing is copied) of rows [first, first + count) of a source tensor of `shape`, or of
  // all of it read as `shape` when it holds the same elements with size-1 axes (count 0). The spec
  // owns it; null after recording why it cannot be made. `label` names it for --report.
  const SourceTensor* view(const std::string& source, const std::vector<int64_t>& shape, int64_t first,
                           int64_t count) {
    auto it = src_.find(source);
    if (it == src_.end()) {
      missing_.push_back("'" + source + "' " + shape_str(shape));
      return nullptr;
    }
    used_.insert(source);
    const SourceTensor& t = it->second;
    std::vector<int64_t> kept, kept_stride;  // t's axes without its size-1 ones
    for (size_t d = 0; d < t.shape.size(); ++d)
      if (t.shape[d] != 1 || (count && d == 0)) {
        kept.push_back(t.shape[d]);
        if (!t.stride.empty()) kept_stride.push_back(t.stride[d]);
      }
    if (t.shape != shape && (count || kept != shape)) {
      misshaped_.push_back("'" + source + "' is " + shape_str(t.shape) + ", the config needs " + shape_str(shape));
      return nullptr;
    }
    auto v = std::make_unique<SourceTensor>(t);
    v->shape = shape;
    if (t.shape != shape) v->stride = kept_stride;  // the same elements without the size-1 axes
    if (count) {
      const int64_t row = t.stride.empty() ? t.numel() / shape[0] : t.stride[0];
      v->offset += first * row;
      v->shape[0] = count;
    }
    spec_.views.push_back(std::move(v));
    return spec_.views.back().get();
  }
  // An OutTensor made of one view.
  void from_view(const std::string& name, const SourceTensor* v, const std::string& label, Role role) {
    if (!v) return;
    OutTensor t{name, {label}, v->shape, {v}, role};
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
  // A checkpoint of another family fails on every tensor: the message counts each kind of problem
  // and shows the first two of each, in one line.
  void finish() {
    for (const auto& [name, t] : src_)
      if (!used_.count(name)) unexpected_.push_back("'" + name + "' " + shape_str(t.shape));
    if (missing_.empty() && unexpected_.empty() && misshaped_.empty()) return;
    std::string msg = "the checkpoint does not match its config:";
    auto list = [&](const std::vector<std::string>& items, const char* what) {
      if (items.empty()) return;
      msg += " " + std::to_string(items.size()) + " " + what + " (";
      for (size_t i = 0; i < std::min<size_t>(items.size(), 2); ++i) msg += (i ? ", " : "") + items[i];
      msg += items.size() > 2 ? ", ...);" : ");";
    };
    list(missing_, "tensors missing");
    list(unexpected_, "unexpected");
    list(misshaped_, "with other shapes");
    if (missing_.size() > 2 * (used_.size() + 1))
      msg += " is config.json's model_type right? tern converts " + std::string(kFamilyList) + ", t5, torch encoders and torch seq2seq";
    else
      msg.pop_back();
    throw ConvertError(msg);
  }

 private:
  void append(OutTensor& t, const std::string& source, const std::vector<int64_t>& shape) {
    auto it = src_.find(source);
    if (it == src_.end()) {
      missing_.push_back("'" + source + "' " + shape_str(shape));
      return;
    }
    used_.insert(source);
    if (it->second.shape != shape) {
      misshaped_.push_back("'" + source + "' is " + shape_str(it->second.shape) + ", the config needs " + shape_str(shape));
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
  std::vector<std::string> missing_, unexpected_, misshaped_;
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

// Hugging Face's activation names (ACT2FN) that tern runs.
fb::Activation activation_of(const std::string& act, const std::string& field) {
  if (act == "gelu") return fb::Activation::GeluErf;
  if (act == "gelu_new" || act == "gelu_pytorch_tanh" || act == "gelu_fast")
    return fb::Activation::GeluTanh;
  if (act == "relu") return fb::Activation::Relu;
  if (act == "tanh") return fb::Activation::Tanh;
  if (act == "silu" || act == "swish") return fb::Activation::Silu;
  throw ConvertError(field + " is '" + act + "', not supported (gelu, gelu_new, gelu_fast, gelu_pytorch_tanh, relu, "
                     "tanh, silu, swish)");
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

namespace {

// The Hugging Face encoder families tern maps onto its one encoder. They differ in config key
// names, checkpoint tensor names, how positions are numbered and what the classification head is.
enum class Family { kBert, kDistilBert, kRoberta, kElectra, kAlbert };

struct FamilyInfo {
  const char* model_type;
  Family family;
  const char* prefix;  // of the base model's tensors in a *ForSequenceClassification checkpoint
};

constexpr FamilyInfo kFamilies[] = {
    {"bert", Family::kBert, "bert."},          {"distilbert", Family::kDistilBert, "distilbert."},
    {"roberta", Family::kRoberta, "roberta."}, {"xlm-roberta", Family::kRoberta, "roberta."},
    {"electra", Family::kElectra, "electra."}, {"albert", Family::kAlbert, "albert."},
};

// The task: from sentence-transformers' files when the folder has them (modules.json), else from
// config.json's architectures and problem_type, as transformers' text-classification pipeline
// reads them (sigmoid for multi-label or a single label, none for regression, else softmax).
void read_head(const JsonFields& c, const std::string& dir, fb::EncoderConfigT* e, std::vector<std::string>* notes) {
  const std::string modules_path = dir + "/modules.json";
  if (file_exists(modules_path)) {
    e->head = fb::Head::Embedding;
    const nlohmann::json modules = read_json(modules_path);
    std::string pooling_dir;
    for (const nlohmann::json& m : modules) {
      const JsonFields f(m, modules_path);
      const std::string type = f.string_or("type", "");
      if (type == "sentence_transformers.models.Pooling") pooling_dir = dir + "/" + f.string_or("path", "");
      else if (type == "sentence_transformers.models.Normalize") e->normalize = true;
      else if (type != "sentence_transformers.models.Transformer")
        throw ConvertError(modules_path + ": module '" + type + "' is not supported (Transformer, Pooling, Normalize)");
    }
    e->pooling = fb::Pooling::Mean;
    if (!pooling_dir.empty()) {
      const std::string path = pooling_dir + "/config.json";
      const nlohmann::json pj = read_json(path);
      const JsonFields p(pj, path);
      const bool mean = p.boolean_or("pooling_mode_mean_tokens", false), cls = p.boolean_or("pooling_mode_cls_token", false);
      for (const char* other : {"pooling_mode_max_tokens", "pooling_mode_mean_sqrt_len_tokens",
                                "pooling_mode_weightedmean_tokens", "pooling_mode_lasttoken"})
        if (p.boolean_or(other, false)) throw ConvertError(p.field(other) + " is true, not supported (mean or cls pooling)");
      if (mean == cls) throw ConvertError(path + ": exactly one of pooling_mode_mean_tokens and pooling_mode_cls_token must be true");
      e->pooling = mean ? fb::Pooling::Mean : fb::Pooling::FirstToken;
    }
    return;
  }
  std::string arch;
  if (c.has("architectures") && c.json()["architectures"].is_array() && !c.json()["architectures"].empty() &&
      c.json()["architectures"][0].is_string())
    arch = c.json()["architectures"][0].get<std::string>();
  auto ends_with = [&](const std::string& s) { return arch.size() >= s.size() && arch.compare(arch.size() - s.size(), s.size(), s) == 0; };
  if (ends_with("ForTokenClassification")) {
    e->head = fb::Head::TokenClassification;
  } else if (ends_with("ForSequenceClassification")) {
    e->head = fb::Head::SequenceClassification;
  } else {
    e->head = fb::Head::Embedding;
    e->pooling = fb::Pooling::Mean;
    notes->push_back("architecture '" + arch + "' has no task head and the folder no modules.json: the model gives "
                     "mean-pooled embeddings");
    return;
  }
  const std::string problem = c.string_or("problem_type", "");
  if (problem == "regression") e->label_output = fb::LabelOutput::Raw;
  else if (problem == "multi_label_classification") e->label_output = fb::LabelOutput::Sigmoid;
  else if (problem == "single_label_classification" || problem.empty()) e->label_output = fb::LabelOutput::Softmax;
  else throw ConvertError(c.field("problem_type") + " is '" + problem + "', not supported");
  if (problem.empty() && e->head == fb::Head::SequenceClassification && c.integer_or("num_labels", 0) == 1)
    e->label_output = fb::LabelOutput::Sigmoid;
}

// Hyperparameters under each family's key names.
void read_dims(const JsonFields& c, Family family, fb::EncoderConfigT* e) {
  const bool distil = family == Family::kDistilBert;
  e->vocab_size = c.integer("vocab_size", 1);
  e->hidden_size = c.integer(distil ? "dim" : "hidden_size", 1);
  e->num_layers = c.integer(distil ? "n_layers" : "num_hidden_layers", 1);
  e->num_heads = c.integer(distil ? "n_heads" : "num_attention_heads", 1);
  e->intermediate_size = c.integer(distil ? "hidden_dim" : "intermediate_size", 1);
  e->max_position_embeddings = c.integer("max_position_embeddings", 1);
  e->type_vocab_size = distil ? 0 : c.integer_or("type_vocab_size", 2, 0);
  // DistilBERT's LayerNorms use a fixed eps of 1e-12; the others read layer_norm_eps.
  e->layer_norm_eps = distil ? 1e-12f : c.number_or("layer_norm_eps", 1e-12f, norm_epsilon, "a number in (0, 1)");
  const char* act_key = distil ? "activation" : "hidden_act";
  e->activation = activation_of(c.string_or(act_key, "gelu"), c.field(act_key));
  e->pad_token_id = c.integer_or("pad_token_id", family == Family::kRoberta ? 1 : 0, 0);
  if (family == Family::kElectra || family == Family::kAlbert)
    e->embedding_size = c.integer_or("embedding_size", family == Family::kAlbert ? 128 : e->hidden_size, 1);
  if (family == Family::kAlbert) {
    e->num_layer_groups = c.integer_or("num_hidden_groups", 1, 1, e->num_layers);
    if (e->num_layers % e->num_layer_groups)
      throw ConvertError(c.field("num_hidden_groups") + " is " + std::to_string(e->num_layer_groups) +
                         ", which does not divide num_hidden_layers " + std::to_string(e->num_layers));
    c.integer_or("inner_group_num", 1, 1, 1);  // several layers per group: not supported
  }
  if (!distil) {
    const std::string pos_type = c.string_or("position_embedding_type", "absolute");
    if (pos_type != "absolute")
      throw ConvertError(c.field("position_embedding_type") + " is '" + pos_type + "', not supported (absolute)");
  }
  if (e->hidden_size % e->num_heads)
    throw ConvertError(c.field(distil ? "n_heads" : "num_attention_heads") + " is " + std::to_string(e->num_heads) +
                       ", which does not divide the hidden size " + std::to_string(e->hidden_size));
  // RoBERTa numbers positions after the padding id, so it has pad + 1 fewer usable positions.
  e->positions_from_padding = family == Family::kRoberta;
  if (e->positions_from_padding && e->pad_token_id + 2 > e->max_position_embeddings)
    throw ConvertError(c.field("pad_token_id") + " is " + std::to_string(e->pad_token_id) +
                       ", which leaves no position below max_position_embeddings");
}

// One transformer layer's tensor names in each family's checkpoints (after the layer's prefix).
struct LayerNames {
  const char* prefix;  // before the layer number
  const char* suffix;  // after it
  const char *q, *k, *v, *out, *attn_norm, *ffn_in, *ffn_out, *ffn_norm;
};
constexpr LayerNames kBertLayer{"encoder.layer.", "", "attention.self.query", "attention.self.key",
                                "attention.self.value", "attention.output.dense", "attention.output.LayerNorm",
                                "intermediate.dense", "output.dense", "output.LayerNorm"};
constexpr LayerNames kDistilBertLayer{"transformer.layer.", "", "attention.q_lin", "attention.k_lin",
                                      "attention.v_lin", "attention.out_lin", "sa_layer_norm", "ffn.lin1",
                                      "ffn.lin2", "output_layer_norm"};
// ALBERT: layer groups, each of one layer (inner_group_num 1).
constexpr LayerNames kAlbertLayer{"encoder.albert_layer_groups.", ".albert_layers.0", "attention.query",
                                  "attention.key", "attention.value", "attention.dense", "attention.LayerNorm",
                                  "ffn", "ffn_output", "full_layer_layer_norm"};

void map_layer(SpecBuilder& b, Family family, const std::string& base, int l, int64_t H, int64_t I) {
  const LayerNames& n = family == Family::kDistilBert ? kDistilBertLayer
                        : family == Family::kAlbert   ? kAlbertLayer
                                                      : kBertLayer;
  const std::string d = "layers." + std::to_string(l), s = base + n.prefix + std::to_string(l) + n.suffix + ".";
  b.linear(d + ".attn.qkv", {s + n.q, s + n.k, s + n.v}, H, H);
  b.linear(d + ".attn.out", {s + n.out}, H, H);
  b.norm(d + ".attn.norm", s + n.attn_norm, H);
  b.linear(d + ".ffn.in", {s + n.ffn_in}, I, H);
  b.linear(d + ".ffn.out", {s + n.ffn_out}, H, I);
  b.norm(d + ".ffn.norm", s + n.ffn_norm, H);
}

// The sequence-classification head: a dense layer with its activation on the first token
// (BERT's and ALBERT's pooler, DistilBERT's pre_classifier, RoBERTa's and ELECTRA's
// classifier.dense), then the output layer.
void map_sequence_head(SpecBuilder& b, Family family, const std::string& base, fb::EncoderConfigT* e) {
  const int64_t H = e->hidden_size, labels = e->num_labels;
  e->pooler = true;
  switch (family) {
    case Family::kBert:
    case Family::kAlbert:
      b.linear("pooler", {base + (family == Family::kBert ? "pooler.dense" : "pooler")}, H, H);
      b.linear("classifier", {"classifier"}, labels, H);
      return;
    case Family::kDistilBert:
      e->pooler_activation = fb::Activation::Relu;
      b.linear("pooler", {"pre_classifier"}, H, H);
      b.linear("classifier", {"classifier"}, labels, H);
      return;
    case Family::kRoberta:
    case Family::kElectra:
      if (family == Family::kElectra) e->pooler_activation = fb::Activation::GeluErf;
      b.linear("pooler", {"classifier.dense"}, H, H);
      b.linear("classifier", {"classifier.out_proj"}, labels, H);
      return;
  }
}

// The head's Linears keep float weights (Role::kHead).
void mark_head(ModelSpec* spec) {
  for (OutTensor& t : spec->tensors)
    if (t.name == "pooler.weight" || t.name == "classifier.weight") t.role = Role::kHead;
}

}  // namespace

ModelSpec encoder_spec(const JsonFields& c, TensorMap& src, const std::string& dir) {
  rename_old_layer_norms(src);
  const std::string type = c.string_or("model_type", "bert");
  const FamilyInfo* info = nullptr;
  for (const FamilyInfo& f : kFamilies)
    if (type == f.model_type) info = &f;
  if (!info) throw ConvertError(c.field("model_type") + " is '" + type + "', not an encoder tern runs " + kFamilyList);
  ModelSpec spec;
  spec.arch = fb::Arch::Bert;
  spec.family = info->model_type;
  auto& e = spec.encoder;
  const Family family = info->family;
  read_dims(c, family, &e);
  read_head(c, dir, &e, &spec.notes);
  e.embedding_norm = true;
  if (e.head != fb::Head::Embedding) {
    spec.labels = labels_of(c, 2);
    e.num_labels = int(spec.labels.size());
  }
  const int64_t H = e.hidden_size, I = e.intermediate_size, E = e.embedding_size ? e.embedding_size : H;
  // A base model saved on its own (sentence-transformers, BertModel) has no family prefix.
  const std::string base = src.count(std::string(info->prefix) + "embeddings.word_embeddings.weight") ? info->prefix : "";

  SpecBuilder b(src, spec);
  b.ignore(base + "embeddings.position_ids", "a buffer of 0..max_position-1, recomputed at run time");
  b.embedding("embed.word", base + "embeddings.word_embeddings.weight", e.vocab_size, E);
  b.embedding("embed.position", base + "embeddings.position_embeddings.weight", e.max_position_embeddings, E);
  if (e.type_vocab_size > 0)
    b.embedding("embed.token_type", base + "embeddings.token_type_embeddings.weight", e.type_vocab_size, E);
  b.norm("embed.norm", base + "embeddings.LayerNorm", E);
  if (E != H)
    b.linear("embed.project", {base + (family == Family::kAlbert ? "encoder.embedding_hidden_mapping_in" : "embeddings_project")}, H, E);
  const int layers = e.num_layer_groups ? e.num_layer_groups : e.num_layers;
  for (int l = 0; l < layers; ++l) map_layer(b, family, base, l, H, I);
  if (e.head == fb::Head::SequenceClassification) {
    map_sequence_head(b, family, base, &e);
  } else {
    for (const char* p : {"pooler.dense.weight", "pooler.dense.bias", "pooler.weight", "pooler.bias"})
      b.ignore(base + p, "the pooler, which this task does not use");
    if (e.head == fb::Head::TokenClassification) b.linear("classifier", {"classifier"}, e.num_labels, H);
  }
  b.finish();
  mark_head(&spec);
  return spec;
}

ModelSpec torch_encoder_spec(const JsonFields& c, TensorMap& src) {
  ModelSpec spec;
  spec.arch = fb::Arch::TorchEncoder;
  spec.family = "torch-encoder";
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
  mark_head(&spec);
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
  spec.family = "t5";
  auto& t = spec.seq2seq;
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
  // As transformers' T5Config: "[gated-]ACT" with any activation name, except that "gated-gelu"
  // means the tanh approximation (gelu_new) while a plain "gelu" is the exact erf GELU.
  const std::string proj = c.string_or("feed_forward_proj", "relu");
  t.gated = proj.rfind("gated-", 0) == 0;
  const std::string act = proj == "gated-gelu" ? "gelu_new" : t.gated ? proj.substr(6) : proj;
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

ModelSpec torch_seq2seq_spec(const JsonFields& c, const JsonFields& generation, TensorMap& src) {
  ModelSpec spec;
  spec.arch = fb::Arch::TorchSeq2Seq;
  spec.family = "torch-seq2seq";
  auto& t = spec.seq2seq;
  t.vocab_size = c.integer("tgt_vocab_size", 1, 1 << 24);
  t.src_vocab_size = c.integer("src_vocab_size", 1, 1 << 24);
  t.d_model = c.integer("d_model", 1, 1 << 16);
  t.num_heads = c.integer("nhead", 1, 1024);
  if (t.d_model % t.num_heads)
    throw ConvertError(c.field("nhead") + " is " + std::to_string(t.num_heads) + ", which does not divide d_model " +
                       std::to_string(t.d_model));
  t.d_kv = t.d_model / t.num_heads;
  t.d_ff = c.integer("dim_feedforward", 1, 1 << 18);
  t.num_layers = c.integer("num_encoder_layers", 1, 1024);
  t.num_decoder_layers = c.integer("num_decoder_layers", 1, 1024);
  t.layer_norm_epsilon = c.number_or("layer_norm_eps", 1e-5f, norm_epsilon, "a number in (0, 1)");
  const std::string act = c.string_or("activation", "relu");
  if (act != "relu" && act != "gelu")
    throw ConvertError(c.field("activation") + " is '" + act + "': nn.Transformer takes relu or gelu");
  t.activation = activation_of(act, c.field("activation"));
  t.norm = fb::NormKind::Layer;
  t.post_norm = !c.boolean_or("norm_first", false);
  t.scale_attention = true;
  t.bias = true;
  t.tied_embeddings = false;
  t.positions = fb::Positions::Table;
  const std::string pe = c.string_or("positional_encoding", "sinusoidal");
  if (pe != "sinusoidal" && pe != "learned")
    throw ConvertError(c.field("positional_encoding") + " is '" + pe +
                       "': tern adds the checkpoint's table of positions (sinusoidal or learned)");
  // The tutorial's buffer is [max_len, 1, d_model] (sequence-first); [max_len, d_model] as well.
  const std::string table = "positional_encoding.pos_embedding";
  auto pos = src.find(table);
  if (pos == src.end())
    throw ConvertError("'" + table + "' is missing: tern takes the position table from the checkpoint");
  t.max_positions = int(std::min<int64_t>(pos->second.shape.empty() ? 0 : pos->second.shape[0], 1 << 20));
  if (c.has("max_positions") && c.integer("max_positions", 2, 1 << 20) != t.max_positions)
    throw ConvertError(c.field("max_positions") + " disagrees with '" + table + "', which has " +
                       std::to_string(t.max_positions) + " rows");
  if (t.max_positions < 2) throw ConvertError("'" + table + "' has fewer than 2 positions");
  // Token embeddings are multiplied by sqrt(d_model) in the tutorial; a number or "none" otherwise.
  const nlohmann::json scale = c.has("embedding_scale") ? c.json().at("embedding_scale") : nlohmann::json("sqrt_d_model");
  if (scale == "sqrt_d_model") t.embedding_scale = std::sqrt(float(t.d_model));
  else if (scale == "none") t.embedding_scale = 1.0f;
  else t.embedding_scale = c.number_or("embedding_scale", 1.0f, positive, "\"sqrt_d_model\", \"none\" or a number > 0");
  t.pad_token_id = c.integer("pad_token_id", 0, t.vocab_size - 1);
  t.decoder_start_token_id = c.integer("decoder_start_token_id", 0, t.vocab_size - 1);
  t.eos_token_id = c.integer("eos_token_id", 0, t.vocab_size - 1);
  spec.generation = generation_of(generation, "");
  spec.generation_sources.push_back(generation.where());

  const int64_t D = t.d_model, F = t.d_ff;
  SpecBuilder b(src, spec);
  // The tutorial's TokenEmbedding wraps nn.Embedding as `.embedding`; a bare nn.Embedding has none.
  auto embedding = [&](const std::string& name, const std::string& module, int64_t rows) {
    b.embedding(name, b.has(module + ".embedding.weight") ? module + ".embedding.weight" : module + ".weight", rows, D);
  };
  embedding("enc.embed", "src_tok_emb", t.src_vocab_size);
  embedding("dec.embed", "tgt_tok_emb", t.vocab_size);
  b.from_view("position", b.view(table, {t.max_positions, D}, 0, 0), table, Role::kEmbedding);
  auto attention = [&](const std::string& d, const std::string& s) {
    b.linear_fused(d + ".qkv", s + ".in_proj_weight", s + ".in_proj_bias", 3 * D, D);
    b.linear(d + ".out", {s + ".out_proj"}, D, D);
  };
  auto ffn = [&](const std::string& d, const std::string& s) {
    b.linear(d + ".ffn.in", {s + ".linear1"}, F, D);
    b.linear(d + ".ffn.out", {s + ".linear2"}, D, F);
  };
  for (int l = 0; l < t.num_layers; ++l) {
    const std::string s = "transformer.encoder.layers." + std::to_string(l), d = "enc.layers." + std::to_string(l);
    attention(d + ".attn", s + ".self_attn");
    b.norm(d + ".attn.norm", s + ".norm1", D);
    ffn(d, s);
    b.norm(d + ".ffn.norm", s + ".norm2", D);
  }
  for (int l = 0; l < t.num_decoder_layers; ++l) {
    const std::string s = "transformer.decoder.layers." + std::to_string(l), d = "dec.layers." + std::to_string(l);
    attention(d + ".self", s + ".self_attn");
    b.norm(d + ".self.norm", s + ".norm1", D);
    // Cross-attention's packed in_proj: q rows apply to each decoder position, k and v rows to the
    // encoder output once per input, so they become two Linears.
    const std::string cross = s + ".multihead_attn", w = cross + ".in_proj_weight", bias = cross + ".in_proj_bias";
    b.from_view(d + ".cross.q.weight", b.view(w, {3 * D, D}, 0, D), w + "[q]", Role::kLinear);
    b.from_view(d + ".cross.q.bias", b.view(bias, {3 * D}, 0, D), bias + "[q]", Role::kParam);
    b.from_view(d + ".cross.kv.weight", b.view(w, {3 * D, D}, D, 2 * D), w + "[k,v]", Role::kLinear);
    b.from_view(d + ".cross.kv.bias", b.view(bias, {3 * D}, D, 2 * D), bias + "[k,v]", Role::kParam);
    b.linear(d + ".cross.out", {cross + ".out_proj"}, D, D);
    b.norm(d + ".cross.norm", s + ".norm2", D);
    ffn(d, s);
    b.norm(d + ".ffn.norm", s + ".norm3", D);
  }
  b.norm("enc.final_norm", "transformer.encoder.norm", D);
  b.norm("dec.final_norm", "transformer.decoder.norm", D);
  b.linear("lm_head", {"generator"}, t.vocab_size, D);
  b.finish();
  return spec;
}

}  // namespace tern::convert
