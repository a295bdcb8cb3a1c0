/* The ADM U-Net's topology (see include/disco/adm_unet.h): mapping network,
   encoder, decoder with skip concatenation, output layers, and which
   self-attention layers get a cross-attention to which latent tokens. */
#include <stdio.h>
#include <stdlib.h>

#include "adm_unet_internal.h"
#include "disco/error.h"

/* EDM's PositionalEmbedding defaults, as DhariwalUNet's map_noise uses them. */
#define NOISE_MAX_POSITIONS 10000.0f

static int level_resolution(const AdmUnetConfig *c, int level) { return c->resolution >> level; }
static int level_channels(const AdmUnetConfig *c, int level) { return c->model_channels * c->channel_mult[level]; }

static bool has_attention(const AdmUnetConfig *c, int level) {
    for (int i = 0; i < c->attn_resolution_count; i++)
        if (c->attn_resolutions[i] == level_resolution(c, level)) return true;
    return false;
}

/* The decoder's first block at the lowest resolution always has attention
   (EDM's in0), whatever attn_resolutions says. */
static bool decoder_has_attention(const AdmUnetConfig *c, int level) {
    return level == c->levels - 1 || has_attention(c, level);
}

static int decoder_attention_levels(const AdmUnetConfig *c) {
    int n = 0;
    for (int level = 0; level < c->levels; level++) n += decoder_has_attention(c, level);
    return n;
}

static void check_config(const AdmUnetConfig *c) {
    DISCO_CHECK(c->levels >= 1 && c->levels <= ADM_UNET_MAX_LEVELS, "adm_unet: %d levels, outside 1..%d", c->levels,
                ADM_UNET_MAX_LEVELS);
    DISCO_CHECK(c->resolution > 0 && c->resolution % (1 << (c->levels - 1)) == 0,
                "adm_unet: resolution %d does not halve %d times", c->resolution, c->levels - 1);
    DISCO_CHECK(c->in_channels > 0 && c->out_channels > 0 && c->model_channels > 0 && c->channel_mult_emb > 0 &&
                    c->num_blocks >= 0 && c->label_dim >= 0 && c->latent_dim >= 0,
                "adm_unet: channel counts must be positive; blocks, label_dim and latent_dim not negative");
    DISCO_CHECK(c->dropout >= 0 && c->dropout < 1, "adm_unet: dropout %g is outside [0, 1)", c->dropout);
    DISCO_CHECK(c->attn_resolution_count >= 0 && c->attn_resolution_count <= ADM_UNET_MAX_LEVELS,
                "adm_unet: %d attention resolutions, outside 0..%d", c->attn_resolution_count, ADM_UNET_MAX_LEVELS);
    for (int i = 0; i < c->attn_resolution_count; i++) {
        bool found = false;
        for (int level = 0; level < c->levels; level++) found |= c->attn_resolutions[i] == level_resolution(c, level);
        DISCO_CHECK(found, "adm_unet: attention resolution %d is not one of the U-Net's", c->attn_resolutions[i]);
    }
    for (int level = 0; level < c->levels; level++) {
        DISCO_CHECK(c->channel_mult[level] > 0, "adm_unet: channel_mult[%d] is %d", level, c->channel_mult[level]);
        DISCO_CHECK(!decoder_has_attention(c, level) ||
                        (c->channels_per_head > 0 && level_channels(c, level) % c->channels_per_head == 0),
                    "adm_unet: %d channels at %dx%d do not split into heads of %d", level_channels(c, level),
                    level_resolution(c, level), level_resolution(c, level), c->channels_per_head);
    }
    DISCO_CHECK(c->latent_dim == 0 || c->latent_groups == 1 || c->latent_groups == decoder_attention_levels(c),
                "adm_unet: %d latent groups; there must be 1, or one per decoder resolution with attention (%d)",
                c->latent_groups, decoder_attention_levels(c));
}

/* Fails unless `id` has this shape; -1 accepts any size. */
static void expect_shape(const Graph *g, int id, const char *what, int ndim, const int *shape) {
    DISCO_CHECK(id >= 0, "adm_unet: the %s input is missing", what);
    Tensor t = graph_tensor(g, id);
    bool same = t.dtype == DTYPE_F32 && t.ndim == ndim;
    for (int i = 0; same && i < ndim; i++) same = shape[i] < 0 || shape[i] == t.shape[i];
    char want[96] = "", *end = want;
    for (int i = 0; i < ndim; i++)
        end += snprintf(end, (size_t)(want + sizeof want - end), shape[i] < 0 ? "%s*" : "%s%d", i ? ", " : "",
                        shape[i] < 0 ? 0 : shape[i]);
    DISCO_CHECK(same, "adm_unet: %s '%s' must be float [%s]", what, graph_name(g, id), want);
}

static void check_inputs(const Graph *g, const AdmUnetConfig *c, const AdmUnetInputs *in) {
    expect_shape(g, in->x, "image", 4, (int[]){-1, c->resolution, c->resolution, c->in_channels});
    int batch = graph_tensor(g, in->x).shape[0];
    expect_shape(g, in->c_noise, "noise level", 1, (int[]){batch});
    if (c->label_dim > 0) expect_shape(g, in->class_labels, "class label", 2, (int[]){batch, c->label_dim});
    for (int group = 0; c->latent_dim > 0 && group < c->latent_groups; group++)
        expect_shape(g, in->latent_tokens[group], "latent token", 3, (int[]){batch, -1, c->latent_dim});
}

/* emb = SiLU(map_layer1(SiLU(map_layer0(PE(c_noise)))) + map_label(class)). */
static int mapping(Graph *g, const AdmUnetConfig *c, const AdmUnetInputs *in) {
    int width = c->model_channels * c->channel_mult_emb;
    int emb = graph_positional_embedding(g, in->c_noise, c->model_channels, NOISE_MAX_POSITIONS, false);
    emb = graph_silu(g, adm_linear(g, "map_layer0", emb, width, ADM_WITH_BIAS, ADM_INIT_UNIFORM));
    emb = adm_linear(g, "map_layer1", emb, width, ADM_WITH_BIAS, ADM_INIT_UNIFORM);
    if (c->label_dim > 0) {
        /* EDM's kaiming-normal times sqrt(label_dim): a unit normal per class. */
        graph_push_scope(g, "map_label");
        int w = graph_param(g, "weight", 2, (int[]){width, c->label_dim}, (Init){INIT_NORMAL, 1.0f, 0});
        graph_pop_scope(g);
        emb = graph_add(g, emb, graph_linear(g, in->class_labels, w, -1), 1.0f);
    }
    return graph_silu(g, emb);
}

/* What the blocks of one network share while it is built. */
typedef struct {
    Graph *g;
    const AdmUnetConfig *c;
    int emb;
    int *skips, n_skips;
    AdmUnet net;
} Builder;

/* EDM's module names: "<res>x<res>_<kind>". */
static void module_name(char *name, size_t size, const AdmUnetConfig *c, int level, const char *kind) {
    snprintf(name, size, "%dx%d_%s", level_resolution(c, level), level_resolution(c, level), kind);
}

static int block(Builder *b, int x, const char *kind, int level, AdmBlockSpec spec) {
    char name[48];
    module_name(name, sizeof name, b->c, level, kind);
    graph_push_scope(b->g, name);
    x = adm_unet_block(b->g, b->c, x, b->emb, &spec);
    graph_pop_scope(b->g);
    b->net.self_attention_layers += spec.attention;
    b->net.cross_attention_layers += spec.latent_tokens >= 0;
    return x;
}

static int encoder(Builder *b, const AdmUnetInputs *in) {
    const AdmUnetConfig *c = b->c;
    /* The group-hierarchical variant feeds latents to the decoder only. */
    int tokens = c->latent_dim > 0 && c->latent_groups == 1 ? in->latent_tokens[0] : -1;
    char kind[32];
    int x = in->x;
    graph_push_scope(b->g, "enc");
    for (int level = 0; level < c->levels; level++) {
        int channels = level_channels(c, level);
        if (level == 0) {
            char name[48];
            module_name(name, sizeof name, c, 0, "conv");
            x = adm_conv(b->g, name, x, channels, 3, ADM_INIT_UNIFORM);
        } else {
            x = block(b, x, "down", level, (AdmBlockSpec){adm_channels(b->g, x), ADM_RESAMPLE_DOWN, false, -1});
        }
        b->skips[b->n_skips++] = x;
        bool attention = has_attention(c, level);
        for (int i = 0; i < c->num_blocks; i++) {
            snprintf(kind, sizeof kind, "block%d", i);
            AdmBlockSpec spec = {channels, ADM_RESAMPLE_NONE, attention, attention ? tokens : -1};
            x = block(b, x, kind, level, spec);
            b->skips[b->n_skips++] = x;
        }
    }
    graph_pop_scope(b->g);
    return x;
}

static int decoder(Builder *b, const AdmUnetInputs *in, int x) {
    const AdmUnetConfig *c = b->c;
    int next_group = 0;
    char kind[32];
    graph_push_scope(b->g, "dec");
    for (int level = c->levels - 1; level >= 0; level--) {
        /* Groups go to the decoder's attention resolutions lowest first
           (coarse layout before texture); with one group all see it. */
        int tokens = -1;
        if (c->latent_dim > 0 && decoder_has_attention(c, level))
            tokens = in->latent_tokens[c->latent_groups == 1 ? 0 : next_group++];
        int same = adm_channels(b->g, x);
        if (level == c->levels - 1) {
            x = block(b, x, "in0", level, (AdmBlockSpec){same, ADM_RESAMPLE_NONE, true, tokens});
            x = block(b, x, "in1", level, (AdmBlockSpec){same, ADM_RESAMPLE_NONE, false, -1});
        } else {
            x = block(b, x, "up", level, (AdmBlockSpec){same, ADM_RESAMPLE_UP, false, -1});
        }
        bool attention = has_attention(c, level);
        for (int i = 0; i <= c->num_blocks; i++) {
            /* EDM concatenates when the running channels differ from the
               block's input, which it sized as running + skip for exactly
               these blocks: each takes one skip, [x, skip]. */
            x = graph_concat(b->g, x, b->skips[--b->n_skips]);
            snprintf(kind, sizeof kind, "block%d", i);
            AdmBlockSpec spec = {level_channels(c, level), ADM_RESAMPLE_NONE, attention, attention ? tokens : -1};
            x = block(b, x, kind, level, spec);
        }
    }
    graph_pop_scope(b->g);
    return x;
}

AdmUnet adm_unet_build(Graph *g, const AdmUnetConfig *config, const AdmUnetInputs *inputs) {
    const AdmUnetConfig *c = config;
    check_config(c);
    check_inputs(g, c, inputs);
    /* The encoder pushes its input conv, each down block and each block; the
       decoder's blocks pop them all. */
    int max_skips = c->levels * (c->num_blocks + 1);
    Builder b = {.g = g, .c = c, .skips = disco_malloc((size_t)max_skips * sizeof(int), "adm_unet skips")};
    b.emb = mapping(g, c, inputs);
    int x = decoder(&b, inputs, encoder(&b, inputs));
    free(b.skips);
    x = graph_silu(g, adm_group_norm(g, "out_norm", x));
    b.net.output = adm_conv(g, "out_conv", x, c->out_channels, 3, ADM_INIT_ZERO);
    return b.net;
}
