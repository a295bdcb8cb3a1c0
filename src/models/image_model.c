/* DisCo-Diff's image training graph; see include/disco/image_model.h. */
#include "disco/image_model.h"

#include <string.h>

#include "disco/edm.h"
#include "disco/error.h"

static ImageModelConfig with_parts(AdmUnetConfig unet, VitEncoderConfig encoder, LatentTransformerConfig latent,
                                   bool latents) {
    unet.latent_dim = latents ? latent.width : 0;
    unet.latent_groups = latent.groups;
    /* The encoder sees the image the U-Net denoises, and emits the latents
       the latent transformer reads. */
    encoder.image_size = unet.resolution;
    encoder.channels = unet.in_channels;
    latent.m = encoder.m;
    latent.k = encoder.k;
    return (ImageModelConfig){.unet = unet, .encoder = encoder, .latent = latent, .sigma_data = 0.5,
                              .gumbel_tau = 1.0f, .gumbel_hard = true};
}

ImageModelConfig image_model_tiny(bool latents) {
    return with_parts(adm_unet_tiny(), vit_encoder_tiny(), latent_transformer_tiny(), latents);
}

ImageModelConfig image_model_fmnist(int channels, bool latents) {
    return with_parts(adm_unet_fmnist(channels), vit_encoder_fmnist(), latent_transformer_fmnist(), latents);
}

ImageModelConfig image_model_preset(const char *name, int channels, bool latents) {
    if (strcmp(name, "fmnist") == 0) return image_model_fmnist(channels, latents);
    DISCO_CHECK(channels == 3 || strcmp(name, "tiny") != 0, "model preset '%s' takes 3 channels, not %d", name,
                channels);
    if (strcmp(name, "tiny") == 0) return image_model_tiny(latents);
    if (strcmp(name, "imagenet64") == 0)
        return with_parts(adm_unet_imagenet64(), vit_encoder_imagenet64(), latent_transformer_imagenet(), latents);
    if (strcmp(name, "imagenet64-hierarchical") == 0)
        return with_parts(adm_unet_imagenet64(), vit_encoder_imagenet64_hierarchical(),
                          latent_transformer_imagenet64_hierarchical(), latents);
    if (strcmp(name, "imagenet128") == 0)
        return with_parts(adm_unet_imagenet128(), vit_encoder_imagenet128(), latent_transformer_imagenet(), latents);
    DISCO_FATAL("unknown model preset '%s' (tiny, fmnist, imagenet64, imagenet64-hierarchical, imagenet128)", name);
}

static int image_input(Graph *g, const char *name, int batch, const AdmUnetConfig *u, int channels) {
    return graph_input(g, name, DTYPE_F32, 4, (int[]){batch, u->resolution, u->resolution, channels}, false);
}

ImageNetwork image_build_training(Graph *g, const ImageModelConfig *c, int batch) {
    const AdmUnetConfig *u = &c->unet;
    ImageNetwork net = {.batch = batch, .labels = -1, .encoder = {-1, -1, -1, -1}, .latent = {.keep = -1, .drop = -1}};
    net.x_in = image_input(g, "x_in", batch, u, u->in_channels);
    net.c_noise = graph_input(g, "c_noise", DTYPE_F32, 1, (int[]){batch}, false);
    net.target = image_input(g, "target", batch, u, u->out_channels);
    net.weight = graph_input(g, "weight", DTYPE_F32, 1, (int[]){batch}, false);
    if (u->label_dim > 0)
        net.labels = graph_input(g, "class_labels", DTYPE_F32, 2, (int[]){batch, u->label_dim}, false);
    AdmUnetInputs in = {.x = net.x_in, .c_noise = net.c_noise, .class_labels = net.labels};
    if (u->latent_dim > 0) {
        net.encoder = vit_encoder_build(g, &c->encoder, batch, c->gumbel_tau, c->gumbel_hard);
        net.latent = latent_transformer_build(g, &c->latent, net.encoder.one_hot);
        for (int k = 0; k < net.latent.groups; k++) in.latent_tokens[k] = net.latent.group_tokens[k];
    }
    graph_push_scope(g, "model"); /* EDMPrecond keeps its U-Net as `model` */
    net.output = adm_unet_build(g, u, &in).output;
    graph_pop_scope(g);
    net.loss = graph_weighted_mse(g, net.output, net.target, net.weight);
    graph_set_loss(g, net.loss);
    return net;
}

void image_feed(Graph *g, const ImageNetwork *net, const ImageModelConfig *c, const float *clean, const double *sigma,
                const float *unit_noise, const int32_t *labels, const float *keep) {
    const AdmUnetConfig *u = &c->unet;
    size_t image = (size_t)u->resolution * u->resolution * u->in_channels;
    float *x_in = graph_data(g, net->x_in), *target = graph_data(g, net->target);
    float *c_noise = graph_data(g, net->c_noise), *weight = graph_data(g, net->weight);
    for (int r = 0; r < net->batch; r++) {
        EdmPrecond p = edm_precond(sigma[r], c->sigma_data);
        c_noise[r] = (float)p.c_noise;
        weight[r] = (float)(edm_loss_weight(sigma[r], c->sigma_data) * p.c_out * p.c_out);
        for (size_t i = r * image; i < (r + 1) * image; i++) {
            double noisy = clean[i] + sigma[r] * unit_noise[i];
            x_in[i] = (float)(p.c_in * noisy);
            target[i] = (float)((clean[i] - p.c_skip * noisy) / p.c_out);
        }
    }
    if (net->labels >= 0) {
        float *one_hot = graph_data(g, net->labels);
        memset(one_hot, 0, (size_t)net->batch * u->label_dim * sizeof(float));
        for (int r = 0; r < net->batch; r++) {
            DISCO_CHECK(labels[r] >= 0 && labels[r] < u->label_dim, "label %d of batch row %d is outside [0, %d)",
                        labels[r], r, u->label_dim);
            one_hot[(size_t)r * u->label_dim + labels[r]] = 1.0f;
        }
    }
    if (u->latent_dim > 0) {
        vit_patchify(clean, net->batch, u->resolution, u->resolution, u->in_channels, c->encoder.patch,
                     graph_data(g, net->encoder.patches));
        latent_transformer_feed_keep(g, &net->latent, keep);
    }
}
