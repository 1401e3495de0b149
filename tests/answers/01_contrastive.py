"""Wrong and alternative answers for 01_contrastive (see autograder/AUTHORING.md)."""

# graded function -> the grade_ids of the test cells that grade it
TESTS = {
    "shift_images": ["test_shift_images"],
    "augment": ["test_augment"],
    "cosine_similarity_matrix": ["test_cosine_similarity_matrix"],
    "nce_loss": ["test_nce_loss"],
    "info_nce_loss": ["test_info_nce_loss"],
    "infonce_mi_lower_bound": ["test_infonce_mi_lower_bound"],
    "cpc_approx_loss": ["test_cpc_approx_loss"],
    "min_batch_size_for_mi": ["test_min_batch_size_for_mi"],
    "gaussian_mi": ["test_gaussian_mi"],
    "gaussian_log_density_ratio": ["test_gaussian_log_density_ratio"],
    "nt_xent_loss": ["test_nt_xent_loss"],
}

# graded function -> {variant name: source code that defines the function}
WRONG = {
    "shift_images": {
        "roll_wraps_around": '''
import torch
def shift_images(images, dx, dy):
    return torch.stack([torch.roll(img, shifts=(int(b), int(a)), dims=(0, 1)) for img, a, b in zip(images, dx, dy)])
''',
        "dx_dy_swapped": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = torch.zeros_like(images)
    for b in range(B):
        for i in range(H):
            for j in range(W):
                si, sj = i - int(dx[b]), j - int(dy[b])
                if 0 <= si < H and 0 <= sj < W:
                    out[b, i, j] = images[b, si, sj]
    return out
''',
        "sign_flipped": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = torch.zeros_like(images)
    for b in range(B):
        for i in range(H):
            for j in range(W):
                si, sj = i + int(dy[b]), j + int(dx[b])
                if 0 <= si < H and 0 <= sj < W:
                    out[b, i, j] = images[b, si, sj]
    return out
''',
        "one_shift_for_the_batch": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = torch.zeros_like(images)
    sx, sy = int(dx[0]), int(dy[0])
    for i in range(H):
        for j in range(W):
            if 0 <= i - sy < H and 0 <= j - sx < W:
                out[:, i, j] = images[:, i - sy, j - sx]
    return out
''',
        "slicing_breaks_on_large_shifts": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = torch.zeros_like(images)
    for b in range(B):
        sx, sy = int(dx[b]), int(dy[b])
        out[b, max(sy, 0):H + min(sy, 0), max(sx, 0):W + min(sx, 0)] = \\
            images[b, max(-sy, 0):H + min(-sy, 0), max(-sx, 0):W + min(-sx, 0)]
    return out
''',
        "returns_float64": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = torch.zeros(images.shape, dtype=torch.float64)
    for b in range(B):
        for i in range(H):
            for j in range(W):
                si, sj = i - int(dy[b]), j - int(dx[b])
                if 0 <= si < H and 0 <= sj < W:
                    out[b, i, j] = float(images[b, si, sj])
    return out
''',
    },
    "augment": {
        "no_negative_shifts": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(0, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(0, max_shift + 1, (B,), generator=generator)
    return shift_images(images, dx, dy) + noise_std * torch.randn(images.shape, generator=generator, dtype=images.dtype)
''',
        "randint_high_exclusive": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift, (B,), generator=generator)
    return shift_images(images, dx, dy) + noise_std * torch.randn(images.shape, generator=generator, dtype=images.dtype)
''',
        "same_shift_for_whole_batch": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (1,), generator=generator).repeat(B)
    dy = torch.randint(-max_shift, max_shift + 1, (1,), generator=generator).repeat(B)
    return shift_images(images, dx, dy) + noise_std * torch.randn(images.shape, generator=generator, dtype=images.dtype)
''',
        "dy_equals_dx": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    return shift_images(images, dx, dx) + noise_std * torch.randn(images.shape, generator=generator, dtype=images.dtype)
''',
        "variance_instead_of_std": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    return shift_images(images, dx, dy) + noise_std ** 2 * torch.randn(images.shape, generator=generator, dtype=images.dtype)
''',
        "uniform_noise": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    return shift_images(images, dx, dy) + noise_std * torch.rand(images.shape, generator=generator, dtype=images.dtype)
''',
        "ignores_generator": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,))
    dy = torch.randint(-max_shift, max_shift + 1, (B,))
    return shift_images(images, dx, dy) + noise_std * torch.randn(images.shape, dtype=images.dtype)
''',
        "noise_from_global_rng": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    return shift_images(images, dx, dy) + noise_std * torch.randn(images.shape, dtype=images.dtype)
''',
        "wrap_around_shift": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    rolled = torch.stack([torch.roll(im, (int(b), int(a)), (0, 1)) for im, a, b in zip(images, dx, dy)])
    return rolled + noise_std * torch.randn(images.shape, generator=generator, dtype=images.dtype)
''',
        "noise_float32_always": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    return (shift_images(images, dx, dy) + noise_std * torch.randn(images.shape, generator=generator)).float()
''',
        # Issue 28: a slightly biased shift sampler and noise shared across the batch (both kept full marks: 300 views
        # only checked that every shift occurs, and the noise only by its overall mean and std).
        "shift_rounded_from_uniform_float": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    u = torch.rand(2, B, generator=generator)
    dx, dy = (torch.round(u * 2 * max_shift) - max_shift).long()
    return shift_images(images, dx, dy) + noise_std * torch.randn(images.shape, generator=generator, dtype=images.dtype)
''',
        "one_noise_image_for_the_batch": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    noise = torch.randn(images.shape[1:], generator=generator, dtype=images.dtype)
    return shift_images(images, dx, dy) + noise_std * noise
''',
    },
    "cosine_similarity_matrix": {
        "dot_product_no_normalisation": '''
def cosine_similarity_matrix(z1, z2):
    return z1 @ z2.T
''',
        "normalised_over_wrong_dim": '''
import torch.nn.functional as F
def cosine_similarity_matrix(z1, z2):
    return F.normalize(z1, dim=0) @ F.normalize(z2, dim=0).T
''',
        "transposed": '''
import torch.nn.functional as F
def cosine_similarity_matrix(z1, z2):
    return F.normalize(z2, dim=1) @ F.normalize(z1, dim=1).T
''',
        "only_z1_normalised": '''
import torch.nn.functional as F
def cosine_similarity_matrix(z1, z2):
    return F.normalize(z1, dim=1) @ z2.T
''',
        "squared_norms": '''
def cosine_similarity_matrix(z1, z2):
    return (z1 / (z1 ** 2).sum(1, keepdim=True)) @ (z2 / (z2 ** 2).sum(1, keepdim=True)).T
''',
        "rowwise_pairs_only": '''
import torch.nn.functional as F
def cosine_similarity_matrix(z1, z2):
    n = min(len(z1), len(z2))
    return F.cosine_similarity(z1[:n], z2[:n], dim=1)
''',
    },
    "nce_loss": {
        "missing_k": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return -F.logsigmoid(s_data).mean() - F.logsigmoid(-s_noise).mean()
''',
        "k_on_the_data_term": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return -k * F.logsigmoid(s_data).mean() - F.logsigmoid(-s_noise).mean()
''',
        "divides_by_k": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return -F.logsigmoid(s_data).mean() - F.logsigmoid(-s_noise).mean() / k
''',
        "naive_log_sigmoid": '''
import torch
def nce_loss(s_data, s_noise, k):
    return -torch.log(torch.sigmoid(s_data)).mean() - k * torch.log(1 - torch.sigmoid(s_noise)).mean()
''',
        "naive_exp_formula": '''
import torch
def nce_loss(s_data, s_noise, k):
    return torch.log1p(torch.exp(-s_data)).mean() + k * torch.log1p(torch.exp(s_noise)).mean()
''',
        "naive_one_minus_sigmoid_only": '''
import torch
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return -F.logsigmoid(s_data).mean() - k * torch.log(1 - torch.sigmoid(s_noise)).mean()
''',
        "noise_sign_flipped": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return -F.logsigmoid(s_data).mean() - k * F.logsigmoid(s_noise).mean()
''',
        "sums_instead_of_means": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return -F.logsigmoid(s_data).sum() - k * F.logsigmoid(-s_noise).sum()
''',
        "one_mean_over_all_samples": '''
import torch
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    terms = torch.cat([-F.logsigmoid(s_data), -k * F.logsigmoid(-s_noise)])
    return terms.mean()
''',
        "log2": '''
import math
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return (-F.logsigmoid(s_data).mean() - k * F.logsigmoid(-s_noise).mean()) / math.log(2)
''',
        "returns_python_float": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return float(-F.logsigmoid(s_data).mean() - k * F.logsigmoid(-s_noise).mean())
''',
        "detached": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return (-F.logsigmoid(s_data).mean() - k * F.logsigmoid(-s_noise).mean()).detach()
''',
        "always_float32": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return -F.logsigmoid(s_data.float()).mean() - k * F.logsigmoid(-s_noise.float()).mean()
''',
    },
    "info_nce_loss": {
        "softmax_over_anchors": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T / tau
    return (torch.logsumexp(logits, dim=0) - logits.diagonal()).mean()
''',
        "positive_left_out_of_denominator": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T / tau
    n = logits.shape[0]
    neg = logits.masked_fill(torch.eye(n, dtype=torch.bool), float("-inf"))
    return (torch.logsumexp(neg, dim=1) - logits.diagonal()).mean()
''',
        "missing_temperature": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T
    return (torch.logsumexp(logits, dim=1) - logits.diagonal()).mean()
''',
        "temperature_multiplies": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T * tau
    return (torch.logsumexp(logits, dim=1) - logits.diagonal()).mean()
''',
        "naive_exp": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    e = torch.exp(z_c @ z_x.T / tau)
    return -torch.log(e.diagonal() / e.sum(dim=1)).mean()
''',
        "log2": '''
import math
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T / tau
    return (torch.logsumexp(logits, dim=1) - logits.diagonal()).mean() / math.log(2)
''',
        "sum_over_anchors": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T / tau
    return (torch.logsumexp(logits, dim=1) - logits.diagonal()).sum()
''',
        "normalises_inside": '''
import torch
import torch.nn.functional as F
def info_nce_loss(z_c, z_x, tau):
    logits = F.normalize(z_c, dim=1) @ F.normalize(z_x, dim=1).T / tau
    return (torch.logsumexp(logits, dim=1) - logits.diagonal()).mean()
''',
        "labels_all_zero": '''
import torch
import torch.nn.functional as F
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T / tau
    return F.cross_entropy(logits, torch.zeros(len(logits), dtype=torch.long))
''',
        "detached": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = (z_c @ z_x.T / tau).detach()
    return (torch.logsumexp(logits, dim=1) - logits.diagonal()).mean()
''',
    },
    "infonce_mi_lower_bound": {
        "log2_N": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    return math.log2(N) - float((torch.logsumexp(scores, 1) - scores.diagonal()).mean())
''',
        "everything_in_bits": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    return (math.log(N) - float((torch.logsumexp(scores, 1) - scores.diagonal()).mean())) / math.log(2)
''',
        "log_N_minus_1": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    return math.log(N - 1) - float((torch.logsumexp(scores, 1) - scores.diagonal()).mean())
''',
        "softmax_over_contexts": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    return math.log(N) - float((torch.logsumexp(scores, 0) - scores.diagonal()).mean())
''',
        "positive_left_out": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    neg = scores.masked_fill(torch.eye(N, dtype=torch.bool), float("-inf"))
    return math.log(N) - float((torch.logsumexp(neg, 1) - scores.diagonal()).mean())
''',
        "naive_exp": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    e = torch.exp(scores)
    return math.log(N) + float(torch.log(e.diagonal() / e.sum(1)).mean())
''',
        "returns_the_loss": '''
import torch
def infonce_mi_lower_bound(scores):
    return float((torch.logsumexp(scores, 1) - scores.diagonal()).mean())
''',
        "sign_flipped": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    return float((torch.logsumexp(scores, 1) - scores.diagonal()).mean()) - math.log(N)
''',
    },
    "cpc_approx_loss": {
        "N_instead_of_N_minus_1": '''
import math
import torch.nn.functional as F
def cpc_approx_loss(log_ratio, N):
    return F.softplus(math.log(N) - log_ratio).mean()
''',
        "ratio_sign_flipped": '''
import math
import torch.nn.functional as F
def cpc_approx_loss(log_ratio, N):
    return F.softplus(math.log(N - 1) + log_ratio).mean()
''',
        "naive_exp": '''
import torch
def cpc_approx_loss(log_ratio, N):
    return torch.log(1 + (N - 1) * torch.exp(-log_ratio)).mean()
''',
        "log2": '''
import math
import torch.nn.functional as F
def cpc_approx_loss(log_ratio, N):
    return F.softplus(math.log(N - 1) - log_ratio).mean() / math.log(2)
''',
        "no_mean": '''
import math
import torch.nn.functional as F
def cpc_approx_loss(log_ratio, N):
    return F.softplus(math.log(N - 1) - log_ratio)
''',
        "step_5_instead_of_step_4": '''
import math
def cpc_approx_loss(log_ratio, N):
    return (math.log(N) - log_ratio).mean()
''',
        "log_outside_mean": '''
import math
import torch
def cpc_approx_loss(log_ratio, N):
    return torch.log1p((N - 1) * torch.exp(-log_ratio).mean())
''',
    },
    "min_batch_size_for_mi": {
        "log2_instead_of_ln": '''
import math
def min_batch_size_for_mi(mi_nats):
    return math.ceil(2 ** mi_nats)
''',
        "truncates": '''
import math
def min_batch_size_for_mi(mi_nats):
    return int(math.exp(mi_nats))
''',
        "rounds": '''
import math
def min_batch_size_for_mi(mi_nats):
    return round(math.exp(mi_nats))
''',
        "returns_float_exp": '''
import math
def min_batch_size_for_mi(mi_nats):
    return math.exp(mi_nats)
''',
        "strictly_greater_plus_one": '''
import math
def min_batch_size_for_mi(mi_nats):
    return math.floor(math.exp(mi_nats)) + 1
''',
        "log10": '''
import math
def min_batch_size_for_mi(mi_nats):
    return math.ceil(10 ** mi_nats)
''',
    },
    "gaussian_mi": {
        "missing_half": '''
import math
import torch
def gaussian_mi(rho, d):
    if torch.is_tensor(rho):
        return -d * torch.log(1 - rho ** 2)
    return -d * math.log(1 - rho ** 2)
''',
        "log2": '''
import math
import torch
def gaussian_mi(rho, d):
    if torch.is_tensor(rho):
        return -0.5 * d * torch.log2(1 - rho ** 2)
    return -0.5 * d * math.log2(1 - rho ** 2)
''',
        "missing_d": '''
import math
import torch
def gaussian_mi(rho, d):
    if torch.is_tensor(rho):
        return -0.5 * torch.log(1 - rho ** 2)
    return -0.5 * math.log(1 - rho ** 2)
''',
        "rho_not_squared": '''
import math
import torch
def gaussian_mi(rho, d):
    if torch.is_tensor(rho):
        return -0.5 * d * torch.log(1 - rho)
    return -0.5 * d * math.log(1 - rho)
''',
        "sign_flipped": '''
import math
import torch
def gaussian_mi(rho, d):
    if torch.is_tensor(rho):
        return 0.5 * d * torch.log(1 - rho ** 2)
    return 0.5 * d * math.log(1 - rho ** 2)
''',
        "float_only": '''
import math
def gaussian_mi(rho, d):
    return -0.5 * d * math.log(1 - float(rho) ** 2)
''',
        "tensor_always_float64": '''
import math
import torch
def gaussian_mi(rho, d):
    if torch.is_tensor(rho):
        return -0.5 * d * torch.log(1 - rho.double() ** 2)
    return -0.5 * d * math.log(1 - rho ** 2)
''',
        # Issue 28: a float rho gives a tensor (the tests used to convert with float() before looking).
        "float_rho_gives_a_tensor": '''
import torch
def gaussian_mi(rho, d):
    r = torch.as_tensor(rho, dtype=rho.dtype if torch.is_tensor(rho) else torch.float64)
    return -0.5 * d * torch.log1p(-r * r)
''',
    },
    "gaussian_log_density_ratio": {
        "missing_normaliser": '''
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    return (-((x - rho * c) ** 2) / (2 * var) + x ** 2 / 2).sum(-1)
''',
        "unit_conditional_variance": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    return (-((x - rho * c) ** 2) / 2 + x ** 2 / 2).sum(-1)
''',
        "log_p_x_given_c_only": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    return (-((x - rho * c) ** 2) / (2 * var)).sum(-1) - 0.5 * x.shape[-1] * math.log(2 * math.pi * var)
''',
        "no_sum_over_d": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    return -((x - rho * c) ** 2) / (2 * var) + x ** 2 / 2 - 0.5 * math.log(var)
''',
        "normaliser_not_times_d": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    return (-((x - rho * c) ** 2) / (2 * var) + x ** 2 / 2).sum(-1) - 0.5 * math.log(var)
''',
        "x_minus_c": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    return (-((x - c) ** 2) / (2 * var) + x ** 2 / 2).sum(-1) - 0.5 * x.shape[-1] * math.log(var)
''',
        "std_instead_of_variance": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    std = math.sqrt(1 - rho ** 2)
    return (-((x - rho * c) ** 2) / (2 * std) + x ** 2 / 2).sum(-1) - 0.5 * x.shape[-1] * math.log(std)
''',
        "sum_over_first_dim": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    return (-((x - rho * c) ** 2) / (2 * var) + x ** 2 / 2).sum(0) - 0.5 * x.shape[-1] * math.log(var)
''',
        "log2": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    return ((-((x - rho * c) ** 2) / (2 * var) + x ** 2 / 2).sum(-1) - 0.5 * x.shape[-1] * math.log(var)) / math.log(2)
''',
        "always_float64": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    x, c = x.double(), c.double()
    var = 1 - rho ** 2
    return (-((x - rho * c) ** 2) / (2 * var) + x ** 2 / 2).sum(-1) - 0.5 * x.shape[-1] * math.log(var)
''',
    },
    "nt_xent_loss": {
        "self_similarity_not_excluded": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = u @ u.T / tau
    return F.cross_entropy(logits, torch.cat([torch.arange(N, 2 * N), torch.arange(N)]))
''',
        "dot_product_not_cosine": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    z = torch.cat([z1, z2])
    logits = (z @ z.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(N, 2 * N), torch.arange(N)]))
''',
        "missing_temperature": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(N, 2 * N), torch.arange(N)]))
''',
        "naive_exp": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    e = torch.exp(u @ u.T / tau) * (1 - torch.eye(2 * N, dtype=u.dtype))
    pos = torch.cat([torch.arange(N, 2 * N), torch.arange(N)])
    return -torch.log(e[torch.arange(2 * N), pos] / e.sum(1)).mean()
''',
        "positive_left_out_of_denominator": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = u @ u.T / tau
    pos = torch.cat([torch.arange(N, 2 * N), torch.arange(N)])
    mask = torch.eye(2 * N, dtype=torch.bool)
    mask[torch.arange(2 * N), pos] = True
    return (torch.logsumexp(logits.masked_fill(mask, float("-inf")), 1) - logits[torch.arange(2 * N), pos]).mean()
''',
        "only_first_view_anchors": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits[:N], torch.arange(N, 2 * N))
''',
        "cross_view_negatives_only": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    u1, u2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    labels = torch.arange(len(z1))
    return 0.5 * (F.cross_entropy(u1 @ u2.T / tau, labels) + F.cross_entropy(u2 @ u1.T / tau, labels))
''',
        "wrong_positive_index": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), -1e9)
    return F.cross_entropy(logits, (torch.arange(2 * N) + 1) % (2 * N))
''',
        "log2": '''
import math
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(N, 2 * N), torch.arange(N)])) / math.log(2)
''',
        "detached": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1).detach()
    logits = (u @ u.T / tau).masked_fill(torch.eye(2 * N, dtype=torch.bool), float("-inf"))
    return F.cross_entropy(logits, torch.cat([torch.arange(N, 2 * N), torch.arange(N)]))
''',
    },
}

ALTERNATIVE = {
    "shift_images": {
        "copy_constructs_shifts_and_warns": '''
import torch
def shift_images(images, dx, dy):
    dx, dy = torch.tensor(dx).long(), torch.tensor(dy).long()   # UserWarning: dx is already a tensor
    B, H, W = images.shape
    out = torch.zeros_like(images)
    for b in range(B):
        sx, sy = int(dx[b]), int(dy[b])
        for i in range(H):
            for j in range(W):
                if 0 <= i - sy < H and 0 <= j - sx < W:
                    out[b, i, j] = images[b, i - sy, j - sx]
    return out
''',
        "clamped_slices": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = torch.zeros_like(images)
    for b in range(B):
        sx, sy = int(dx[b]), int(dy[b])
        src = images[b, max(-sy, 0):H - max(sy, 0), max(-sx, 0):W - max(sx, 0)]
        out[b, max(sy, 0):max(sy, 0) + src.shape[0], max(sx, 0):max(sx, 0) + src.shape[1]] = src
    return out
''',
        "loop_with_slices": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = torch.zeros_like(images)
    for b in range(B):
        sx, sy = int(dx[b]), int(dy[b])
        if abs(sx) >= W or abs(sy) >= H:
            continue
        out[b, max(sy, 0):H + min(sy, 0), max(sx, 0):W + min(sx, 0)] = \\
            images[b, max(-sy, 0):H + min(-sy, 0), max(-sx, 0):W + min(-sx, 0)]
    return out
''',
        "pad_then_crop": '''
import torch
import torch.nn.functional as F
def shift_images(images, dx, dy):
    B, H, W = images.shape
    P = max(H, W)
    padded = F.pad(images, (P, P, P, P))
    out = []
    for b in range(B):
        sx = max(-P, min(P, int(dx[b])))
        sy = max(-P, min(P, int(dy[b])))
        out.append(padded[b, P - sy:P - sy + H, P - sx:P - sx + W])
    return torch.stack(out)
''',
        "numpy_loops": '''
import numpy as np
import torch
def shift_images(images, dx, dy):
    imgs = images.detach().cpu().numpy()
    out = np.zeros_like(imgs)
    B, H, W = imgs.shape
    for b in range(B):
        for i in range(H):
            for j in range(W):
                si, sj = i - int(dy[b]), j - int(dx[b])
                if 0 <= si < H and 0 <= sj < W:
                    out[b, i, j] = imgs[b, si, sj]
    return torch.from_numpy(out).to(images.device)
''',
        "roll_then_mask": '''
import torch
def shift_images(images, dx, dy):
    B, H, W = images.shape
    out = []
    rows = torch.arange(H).view(H, 1)
    cols = torch.arange(W).view(1, W)
    for b in range(B):
        sx, sy = int(dx[b]), int(dy[b])
        rolled = torch.roll(images[b], shifts=(sy % H, sx % W), dims=(0, 1))
        keep = (rows - sy >= 0) & (rows - sy < H) & (cols - sx >= 0) & (cols - sx < W)
        out.append(rolled * keep.to(images.dtype))
    return torch.stack(out)
''',
    },
    "augment": {
        "noise_then_shift_order_of_draws_differs": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    noise = torch.randn(images.shape, generator=generator, dtype=images.dtype)
    shifts = torch.randint(-max_shift, max_shift + 1, (2, B), generator=generator)
    return shift_images(images, shifts[0], shifts[1]) + noise_std * noise
''',
        "per_image_loop": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    views = []
    for img in images:
        sx = int(torch.randint(-max_shift, max_shift + 1, (1,), generator=generator))
        sy = int(torch.randint(-max_shift, max_shift + 1, (1,), generator=generator))
        shifted = shift_images(img[None], torch.tensor([sx]), torch.tensor([sy]))[0]
        views.append(shifted + noise_std * torch.randn(img.shape, generator=generator, dtype=img.dtype))
    return torch.stack(views)
''',
        "normal_with_std_argument": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    dx = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    dy = torch.randint(-max_shift, max_shift + 1, (B,), generator=generator)
    noise = torch.normal(torch.zeros(images.shape, dtype=images.dtype), noise_std, generator=generator)
    return shift_images(images, dx, dy) + noise
''',
        # Issue 28: a correct sampler that draws differently (the chi-square check must not punish it).
        "shifts_by_floor_of_float64_uniform": '''
import torch
def augment(images, generator, max_shift=1, noise_std=0.1):
    B = images.shape[0]
    u = torch.rand(B, 2, generator=generator, dtype=torch.float64)
    s = (u * (2 * max_shift + 1)).floor().long() - max_shift
    noise = torch.randn(images.shape, generator=generator, dtype=torch.float64).to(images.dtype)
    return shift_images(images, s[:, 0], s[:, 1]) + noise_std * noise
''',
    },
    "cosine_similarity_matrix": {
        "F_normalize": '''
import torch.nn.functional as F
def cosine_similarity_matrix(z1, z2):
    return F.normalize(z1, dim=1) @ F.normalize(z2, dim=1).T
''',
        "F_cosine_similarity_broadcast": '''
import torch.nn.functional as F
def cosine_similarity_matrix(z1, z2):
    return F.cosine_similarity(z1[:, None, :], z2[None, :, :], dim=-1)
''',
        "double_loop": '''
import torch
def cosine_similarity_matrix(z1, z2):
    out = torch.empty(len(z1), len(z2), dtype=z1.dtype)
    for i in range(len(z1)):
        for j in range(len(z2)):
            out[i, j] = (z1[i] * z2[j]).sum() / (z1[i].norm() * z2[j].norm())
    return out
''',
        "numpy": '''
import numpy as np
import torch
def cosine_similarity_matrix(z1, z2):
    a, b = z1.detach().cpu().numpy(), z2.detach().cpu().numpy()
    s = (a @ b.T) / np.outer(np.linalg.norm(a, axis=1), np.linalg.norm(b, axis=1))
    return torch.from_numpy(s).to(z1.device)
''',
        "einsum": '''
import torch
def cosine_similarity_matrix(z1, z2):
    dots = torch.einsum("id,jd->ij", z1, z2)
    return dots / torch.outer(torch.linalg.vector_norm(z1, dim=1), torch.linalg.vector_norm(z2, dim=1))
''',
    },
    "nce_loss": {
        "bce_with_logits": '''
import torch
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return (F.binary_cross_entropy_with_logits(s_data, torch.ones_like(s_data))
            + k * F.binary_cross_entropy_with_logits(s_noise, torch.zeros_like(s_noise)))
''',
        "softplus": '''
import torch.nn.functional as F
def nce_loss(s_data, s_noise, k):
    return F.softplus(-s_data).mean() + k * F.softplus(s_noise).mean()
''',
        "logaddexp": '''
import torch
def nce_loss(s_data, s_noise, k):
    zero_d, zero_n = torch.zeros_like(s_data), torch.zeros_like(s_noise)
    return torch.logaddexp(zero_d, -s_data).mean() + k * torch.logaddexp(zero_n, s_noise).mean()
''',
        "manual_stable_loop": '''
import torch
def nce_loss(s_data, s_noise, k):
    def softplus(t):                      # log(1 + e^t) = max(t, 0) + log1p(e^-|t|)
        return torch.clamp(t, min=0) + torch.log1p(torch.exp(-t.abs()))
    data_terms = [softplus(-s) for s in s_data]
    noise_terms = [softplus(s) for s in s_noise]
    return torch.stack(data_terms).mean() + k * torch.stack(noise_terms).mean()
''',
    },
    "info_nce_loss": {
        "cross_entropy": '''
import torch
import torch.nn.functional as F
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T / tau
    return F.cross_entropy(logits, torch.arange(len(logits), device=logits.device))
''',
        "loop_over_anchors": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    terms = []
    for i in range(len(z_c)):
        row = (z_x @ z_c[i]) / tau
        terms.append(torch.logsumexp(row, dim=0) - row[i])
    return torch.stack(terms).mean()
''',
        "log_softmax_diagonal": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    return -torch.log_softmax(torch.einsum("id,jd->ij", z_c, z_x) / tau, dim=1).diagonal().mean()
''',
        "max_subtraction_trick": '''
import torch
def info_nce_loss(z_c, z_x, tau):
    logits = z_c @ z_x.T / tau
    m = logits.max(dim=1, keepdim=True).values.detach()
    shifted = logits - m
    return (torch.log(torch.exp(shifted).sum(1)) - shifted.diagonal()).mean()
''',
    },
    "infonce_mi_lower_bound": {
        "copy_constructs_and_warns": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    S = torch.tensor(scores, dtype=torch.float64)       # UserWarning: scores is already a tensor
    return math.log(S.shape[0]) - float((torch.logsumexp(S, 1) - S.diagonal()).mean())
''',
        "numpy_scipy": '''
import numpy as np
from scipy.special import logsumexp
def infonce_mi_lower_bound(scores):
    S = scores.detach().cpu().double().numpy()
    return float(np.log(len(S)) - np.mean(logsumexp(S, axis=1) - np.diag(S)))
''',
        "cross_entropy": '''
import math
import torch
import torch.nn.functional as F
def infonce_mi_lower_bound(scores):
    N = scores.shape[0]
    return math.log(N) - F.cross_entropy(scores, torch.arange(N)).item()
''',
        "loop": '''
import math
def infonce_mi_lower_bound(scores):
    S = scores.double().tolist()
    N = len(S)
    total = 0.0
    for i, row in enumerate(S):
        m = max(row)
        total += m + math.log(sum(math.exp(v - m) for v in row)) - row[i]
    return math.log(N) - total / N
''',
        "float32_inside": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    S = scores.float()
    return math.log(S.shape[0]) - float((torch.logsumexp(S, 1) - S.diagonal()).mean())
''',
        "returns_0dim_tensor": '''
import math
import torch
def infonce_mi_lower_bound(scores):
    return math.log(scores.shape[0]) - (torch.logsumexp(scores, 1) - scores.diagonal()).mean()
''',
    },
    "cpc_approx_loss": {
        "logaddexp": '''
import math
import torch
def cpc_approx_loss(log_ratio, N):
    t = math.log(N - 1) - log_ratio
    return torch.logaddexp(torch.zeros_like(t), t).mean()
''',
        "numpy_back_to_torch": '''
import numpy as np
import torch
def cpc_approx_loss(log_ratio, N):
    r = log_ratio.detach().cpu().double().numpy()
    val = np.mean(np.logaddexp(0.0, np.log(N - 1) - r))
    return torch.tensor(val, dtype=log_ratio.dtype, device=log_ratio.device)
''',
        "loop_stable": '''
import math
import torch
def cpc_approx_loss(log_ratio, N):
    vals = []
    for r in log_ratio.tolist():
        t = math.log(N - 1) - r
        vals.append(max(t, 0.0) + math.log1p(math.exp(-abs(t))))
    return torch.tensor(sum(vals) / len(vals), dtype=log_ratio.dtype)
''',
    },
    "min_batch_size_for_mi": {
        "ceil_exp": '''
import math
def min_batch_size_for_mi(mi_nats):
    return max(1, math.ceil(math.exp(mi_nats)))
''',
        "numpy_ceil": '''
import numpy as np
def min_batch_size_for_mi(mi_nats):
    return max(1, int(np.ceil(np.exp(mi_nats))))
''',
        "while_loop": '''
import math
def min_batch_size_for_mi(mi_nats):
    N = 1
    while math.log(N) < mi_nats:
        N += 1
    return N
''',
        "ceil_exp_then_checked": '''
import math
def min_batch_size_for_mi(mi_nats):
    N = max(1, math.ceil(math.exp(mi_nats)))
    if N > 1 and math.log(N - 1) >= mi_nats:        # exp rounded up past an integer
        N -= 1
    return N
''',
        "numpy_bisection": '''
import numpy as np
def min_batch_size_for_mi(mi_nats):
    lo, hi = 1, 2
    while np.log(hi) < mi_nats:
        hi *= 2
    while lo < hi:                                  # smallest N in [lo, hi] with log N >= mi
        mid = (lo + hi) // 2
        if np.log(mid) >= mi_nats:
            hi = mid
        else:
            lo = mid + 1
    return int(lo)
''',
        "floor_then_up": '''
import math
def min_batch_size_for_mi(mi_nats):
    N = max(1, math.floor(math.exp(mi_nats)) - 1)
    while math.log(N) < mi_nats:
        N += 1
    return N
''',
    },
    "gaussian_mi": {
        "copy_constructs_and_warns": '''
import math
import torch
def gaussian_mi(rho, d):
    if torch.is_tensor(rho):
        r = torch.tensor(rho)                           # UserWarning: rho is already a tensor
        return -0.5 * d * torch.log1p(-r * r)
    return -0.5 * d * math.log1p(-rho * rho)
''',
        "loop_over_coordinates": '''
import math
import torch
def gaussian_mi(rho, d):
    per_pair = -0.5 * (torch.log(1 - rho ** 2) if torch.is_tensor(rho) else math.log(1 - rho ** 2))
    total = 0.0
    for _ in range(d):
        total = total + per_pair
    return total
''',
        "numpy_with_conversion": '''
import numpy as np
import torch
def gaussian_mi(rho, d):
    val = -0.5 * d * np.log(1 - np.square(np.asarray(rho.detach().cpu() if torch.is_tensor(rho) else rho, dtype=np.float64)))
    if torch.is_tensor(rho):
        return torch.as_tensor(val, dtype=rho.dtype, device=rho.device)
    return float(val)
''',
        "as_tensor_then_back": '''
import torch
def gaussian_mi(rho, d):
    t = torch.as_tensor(rho, dtype=rho.dtype if torch.is_tensor(rho) else torch.float64)
    out = -0.5 * d * torch.log1p(-t * t)
    return out if torch.is_tensor(rho) else out.item()
''',
    },
    "gaussian_log_density_ratio": {
        "torch_distributions": '''
import math
from torch.distributions import Normal
def gaussian_log_density_ratio(x, c, rho):
    cond = Normal(rho * c, math.sqrt(1 - rho ** 2))
    marg = Normal(0.0, 1.0)
    return (cond.log_prob(x) - marg.log_prob(x)).sum(-1)
''',
        "joint_over_product_of_marginals": '''
import math
def gaussian_log_density_ratio(x, c, rho):
    # log p(x, c) - log p(x) - log p(c): the ratio is symmetric in x and c
    var = 1 - rho ** 2
    log_joint = -(x ** 2 - 2 * rho * x * c + c ** 2) / (2 * var) - math.log(2 * math.pi) - 0.5 * math.log(var)
    log_marg = -(x ** 2 + c ** 2) / 2 - math.log(2 * math.pi)
    return (log_joint - log_marg).sum(-1)
''',
        "expanded_quadratic": '''
import math
import torch
def gaussian_log_density_ratio(x, c, rho):
    var = 1 - rho ** 2
    d = x.shape[-1]
    xc = (x * c).sum(-1)
    xx = (x * x).sum(-1)
    cc = (c * c).sum(-1)
    return (-(xx - 2 * rho * xc + rho ** 2 * cc) / (2 * var) + xx / 2) - 0.5 * d * math.log(var)
''',
    },
    "nt_xent_loss": {
        "loop_over_anchors": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u = F.normalize(torch.cat([z1, z2]), dim=1)
    terms = []
    for i in range(2 * N):
        sims = (u @ u[i]) / tau
        others = torch.cat([sims[:i], sims[i + 1:]])
        terms.append(torch.logsumexp(others, 0) - sims[(i + N) % (2 * N)])
    return torch.stack(terms).mean()
''',
        "cosine_similarity_broadcast_large_negative_mask": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    z = torch.cat([z1, z2])
    sim = F.cosine_similarity(z[:, None, :], z[None, :, :], dim=-1) / tau
    sim = sim - 1e9 * torch.eye(2 * N, dtype=z.dtype)
    labels = torch.cat([torch.arange(N) + N, torch.arange(N)])
    return F.cross_entropy(sim, labels)
''',
        "two_halves_symmetric": '''
import torch
import torch.nn.functional as F
def nt_xent_loss(z1, z2, tau):
    N = z1.shape[0]
    u1, u2 = F.normalize(z1, dim=1), F.normalize(z2, dim=1)
    eye = torch.eye(N, dtype=torch.bool)
    def half(a, b):
        same = (a @ a.T / tau).masked_fill(eye, float("-inf"))
        cross = a @ b.T / tau
        return torch.logsumexp(torch.cat([cross, same], dim=1), dim=1) - cross.diagonal()
    return torch.cat([half(u1, u2), half(u2, u1)]).mean()
''',
    },
}

# ---------------------------------------------------------------------------------------------------------------
# Second edition: the language-side pairs, the cosine ceiling, CPC on AR(1), and the two training functions.
TESTS.update({
    "random_spans": ["test_random_spans", "test_random_spans_too_short"],
    "cosine_critic_ceiling": ["test_cosine_critic_ceiling"],
    "train_critic": ["test_train_critic_steps", "test_train_critic_updates_both", "test_train_critic_learns"],
    "ar1_mutual_information": ["test_ar1_mutual_information"],
    "simclr_train_step": ["test_simclr_step_loss", "test_simclr_step_updates", "test_simclr_step_learns"],
})

WRONG.update({
    "random_spans": {
        "last_start_never_drawn": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
        s = int(torch.randint(0, max(len(line) - length, 1), (1,), generator=generator))
        out.append(line[s:s + length])
    return out
''',
        "one_start_for_all_lines": '''
import torch
def random_spans(lines, length, generator):
    shortest = min(len(line) for line in lines)
    if shortest < length:
        raise ValueError(f"a line is shorter than {length}")
    s = int(torch.randint(0, shortest - length + 1, (1,), generator=generator))
    return [line[s:s + length] for line in lines]
''',
        "python_random_ignores_generator": '''
import random
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
        s = random.randint(0, len(line) - length)
        out.append(line[s:s + length])
    return out
''',
        "short_lines_silently_truncated": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for line in lines:
        s = int(torch.randint(0, max(len(line) - length, 0) + 1, (1,), generator=generator))
        out.append(line[s:s + length])
    return out
''',
        "span_one_too_long": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
        s = int(torch.randint(0, len(line) - length + 1, (1,), generator=generator))
        out.append(line[s:s + length + 1])
    return out
''',
        "index_error_instead_of_value_error": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise IndexError(f"line {i} is too short")
        s = int(torch.randint(0, len(line) - length + 1, (1,), generator=generator))
        out.append(line[s:s + length])
    return out
''',
        # Issue 28: slightly biased samplers and a range shared by lines of different lengths (each kept full marks
        # when the hidden check was one fixed draw of 600 spans with a loose minimum count, all lines alike).
        "rounds_a_uniform_float": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
        s = int(torch.round(torch.rand(1, generator=generator) * (len(line) - length)))
        out.append(line[s:s + length])
    return out
''',
        "start_clamped_to_last_valid": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
        s = min(int(torch.randint(0, len(line), (1,), generator=generator)), len(line) - length)
        out.append(line[s:s + length])
    return out
''',
        "modulo_of_a_small_random_int": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
        s = int(torch.randint(0, 32, (1,), generator=generator)) % (len(line) - length + 1)
        out.append(line[s:s + length])
    return out
''',
        "shortest_lines_range_for_every_line": '''
import torch
def random_spans(lines, length, generator):
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
    n_starts = min(len(line) for line in lines) - length + 1
    starts = torch.randint(0, n_starts, (len(lines),), generator=generator)
    return [line[int(s):int(s) + length] for s, line in zip(starts, lines)]
''',
        "longest_lines_range_clamped": '''
import torch
def random_spans(lines, length, generator):
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} is too short")
    n_starts = max(len(line) for line in lines) - length + 1
    starts = torch.randint(0, n_starts, (len(lines),), generator=generator)
    return [line[min(int(s), len(line) - length):min(int(s), len(line) - length) + length]
            for s, line in zip(starts, lines)]
''',
    },
    "cosine_critic_ceiling": {
        "n_instead_of_n_minus_1_negatives": '''
import math
def cosine_critic_ceiling(N, tau):
    return math.log(N) - math.log1p(N * math.exp(-2.0 / tau))
''',
        "margin_one_over_tau": '''
import math
def cosine_critic_ceiling(N, tau):
    return math.log(N) - math.log1p((N - 1) * math.exp(-1.0 / tau))
''',
        "log2_bits": '''
import math
def cosine_critic_ceiling(N, tau):
    return math.log2(N) - math.log2(1 + (N - 1) * math.exp(-2.0 / tau))
''',
        "naive_overflows_small_tau": '''
import math
def cosine_critic_ceiling(N, tau):
    return math.log(N) - math.log(1 + (N - 1) / math.exp(2.0 / tau))
''',
        "loss_floor_not_ceiling": '''
import math
def cosine_critic_ceiling(N, tau):
    return math.log1p((N - 1) * math.exp(-2.0 / tau))
''',
        # Issue 28: the spec's Python float (the tests used to convert with float() before looking), and float32.
        "returns_0dim_tensor": '''
import math
import torch
def cosine_critic_ceiling(N, tau):
    if N <= 1:
        return torch.tensor(0.0, dtype=torch.float64)
    t = torch.tensor(math.log(N - 1) - 2.0 / tau, dtype=torch.float64)
    return math.log(N) - torch.nn.functional.softplus(t)
''',
        "float32_arithmetic": '''
import numpy as np
def cosine_critic_ceiling(N, tau):
    if N <= 1:
        return 0.0
    n, t = np.float32(N), np.float32(tau)
    return float(np.log(n) - np.logaddexp(np.float32(0), np.log(n - np.float32(1)) - np.float32(2) / t))
''',
    },
    "train_critic": {
        "no_zero_grad": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "only_f_is_trained": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam(f.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "one_batch_reused": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr)
    c, x = sample_pairs()
    losses = []
    for _ in range(steps):
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "gradient_ascent": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr, maximize=True)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "f_used_for_both_sides": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam(f.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "tau_ignored": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), 1.0)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "returns_loss_tensors": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss)
    return losses
''',
        "learning_rate_ignored_sgd": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.SGD([*f.parameters(), *f_prime.parameters()], lr=1e-4)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        # Issue 28: the procedure the tests did not observe (a fresh optimiser each step still descends, every call
        # used the default lr, the tests' gradients never reached a clipping threshold, no stale gradient was left).
        "fresh_adam_each_step": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    losses = []
    for _ in range(steps):
        opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr)
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "lr_ignored_adam_at_default": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=1e-2)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "clips_gradient_norm_at_10": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    params = [*f.parameters(), *f_prime.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 10.0)
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "clips_gradient_values_at_1": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    params = [*f.parameters(), *f_prime.parameters()]
    opt = torch.optim.Adam(params, lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_value_(params, 1.0)
        opt.step()
        losses.append(loss.item())
    return losses
''',
        "zero_grad_after_the_step": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.Adam([*f.parameters(), *f_prime.parameters()], lr=lr)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        loss.backward()
        opt.step()
        opt.zero_grad()
        losses.append(loss.item())
    return losses
''',
        "sgd_at_the_lr_passed_in": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.SGD([*f.parameters(), *f_prime.parameters()], lr=lr, momentum=0.9)
    losses = []
    for _ in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
    },
    "ar1_mutual_information": {
        "a_to_the_k_not_2k": '''
import math
def ar1_mutual_information(a, k):
    return -0.5 * math.log(1 - a ** k)
''',
        "missing_one_half": '''
import math
def ar1_mutual_information(a, k):
    return -math.log(1 - a ** (2 * k))
''',
        "bits": '''
import math
def ar1_mutual_information(a, k):
    return -0.5 * math.log2(1 - a ** (2 * k))
''',
        "k_times_one_step": '''
import math
def ar1_mutual_information(a, k):
    return -0.5 * k * math.log(1 - a ** 2)
''',
        "log_instead_of_log1p_loses_tiny_values": '''
import math
def ar1_mutual_information(a, k):
    return -0.5 * math.log(1 - a ** (2 * k))
''',
        # Issue 28: the spec's Python float (the tests used to convert with float() before looking), and float32.
        "returns_0dim_tensor": '''
import torch
def ar1_mutual_information(a, k):
    return -0.5 * torch.log1p(-torch.tensor(a, dtype=torch.float64) ** (2 * k))
''',
        "float32_tensor_then_float": '''
import torch
def ar1_mutual_information(a, k):
    return float(-0.5 * torch.log1p(-torch.tensor(a) ** (2 * k)))
''',
    },
    "simclr_train_step": {
        "same_view_twice": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v1)), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "no_zero_grad": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "loss_on_representation_skips_head": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(encoder(v1), encoder(v2), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "encoder_detached": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1).detach()), head(encoder(v2).detach()), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "clean_images_against_one_view": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(images)), head(encoder(v2)), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "default_tau_always": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), 0.2)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "loss_after_the_step": '''
import torch
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    with torch.no_grad():
        return float(loss_fn(head(encoder(v1)), head(encoder(v2)), tau))
''',
        # Issue 28: a clip the tests' gradients never reached, stale gradients never present, the defaults never used.
        "clips_gradient_norm_at_1": '''
import torch
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([*encoder.parameters(), *head.parameters()], 1.0)
    optimizer.step()
    return loss.item()
''',
        "clips_gradient_norm_at_100": '''
import torch
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    optimizer.zero_grad()
    loss.backward()
    torch.nn.utils.clip_grad_norm_([*encoder.parameters(), *head.parameters()], 100.0)
    optimizer.step()
    return loss.item()
''',
        "zero_grad_after_the_step": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    loss.backward()
    optimizer.step()
    optimizer.zero_grad()
    return loss.item()
''',
        "default_noise_std_of_augment": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.1,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "default_tau_0_5": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.5, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(v1)), head(encoder(v2)), tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
''',
    },
})

ALTERNATIVE.update({
    "random_spans": {
        "all_starts_in_one_draw": '''
import torch
def random_spans(lines, length, generator):
    too_short = [i for i, line in enumerate(lines) if len(line) < length]
    if too_short:
        raise ValueError(f"lines {too_short} are shorter than {length} characters")
    u = torch.rand(len(lines), generator=generator)
    starts = [int(v * (len(line) - length + 1)) for v, line in zip(u, lines)]
    return [line[s:s + length] for s, line in zip(starts, lines)]
''',
        "numpy_generator_seeded_from_torch": '''
import numpy as np
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError("line %d is too short: %r" % (i, line))
        seed = int(torch.randint(0, 2 ** 31 - 1, (1,), generator=generator))
        s = int(np.random.default_rng(seed).integers(0, len(line) - length + 1))
        out.append(line[s:s + length])
    return out
''',
        # Issue 28: correct samplers that consume the generator differently from the solution (the uniformity
        # checks must not punish them).
        "randperm_first_element": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError(f"line {i} ({line!r}) is shorter than {length}")
        s = int(torch.randperm(len(line) - length + 1, generator=generator)[0])
        out.append(line[s:s + length])
    return out
''',
        "vectorised_float64_floor": '''
import torch
def random_spans(lines, length, generator):
    n_starts = torch.tensor([len(line) - length + 1 for line in lines], dtype=torch.float64)
    if len(lines) and n_starts.min() < 1:
        bad = int(torch.argmin(n_starts))
        raise ValueError(f"line {bad} is shorter than the span length {length}")
    starts = (torch.rand(len(lines), generator=generator, dtype=torch.float64) * n_starts).floor().long()
    return [line[s:s + length] for s, line in zip(starts.tolist(), lines)]
''',
        "multinomial_over_starts": '''
import torch
def random_spans(lines, length, generator):
    out = []
    for i, line in enumerate(lines):
        if len(line) < length:
            raise ValueError("too short: line %d" % i)
        weights = torch.ones(len(line) - length + 1)
        s = int(torch.multinomial(weights, 1, generator=generator))
        out.append(line[s:s + length])
    return out
''',
    },
    "cosine_critic_ceiling": {
        "numpy_logaddexp": '''
import numpy as np
def cosine_critic_ceiling(N, tau):
    return float(np.log(N) - np.logaddexp(0.0, np.log(N - 1) - 2.0 / tau)) if N > 1 else 0.0
''',
        "torch_softplus_float64": '''
import math
import torch
import torch.nn.functional as F
def cosine_critic_ceiling(N, tau):
    if N == 1:
        return 0.0
    t = torch.tensor(math.log(N - 1) - 2.0 / tau, dtype=torch.float64)
    return math.log(N) - F.softplus(t).item()
''',
        "numpy_float64_scalar_returned": '''
import numpy as np
def cosine_critic_ceiling(N, tau):
    # np.float64 is a subclass of Python's float, so this is a float as the spec asks
    return np.log(np.float64(N)) - np.logaddexp(0.0, np.log(np.float64(N - 1)) - 2.0 / tau) if N > 1 else np.float64(0.0)
''',
    },
    "train_critic": {
        "adamw_two_param_groups": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    opt = torch.optim.AdamW([{"params": f.parameters()}, {"params": f_prime.parameters()}], lr=lr, weight_decay=0.0)
    losses = []
    step = 0
    while step < steps:
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau=tau)
        opt.zero_grad(set_to_none=False)
        loss.backward()
        opt.step()
        losses.append(loss.item())
        step += 1
    return losses
''',
        "two_optimisers_and_module_list": '''
import itertools
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=info_nce_loss):
    optimisers = [torch.optim.Adam(net.parameters(), lr=lr) for net in (f, f_prime)]
    losses = []
    for _ in itertools.repeat(None, steps):
        c, x = sample_pairs()
        for o in optimisers:
            o.zero_grad()
        loss = loss_fn(f(c), f_prime(x), tau)
        loss.backward()
        for o in optimisers:
            o.step()
        losses.append(float(loss))
    return losses
''',
        # Issue 28: the same Adam written differently (the replayed-trajectory check must not punish these).
        "adam_chained_params_explicit_defaults_no_foreach": '''
import itertools
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=None):
    loss_fn = loss_fn or info_nce_loss
    opt = torch.optim.Adam(itertools.chain(f.parameters(), f_prime.parameters()), lr=lr, betas=(0.9, 0.999),
                           eps=1e-8, weight_decay=0, foreach=False)
    losses = []
    for _ in range(steps):
        opt.zero_grad(set_to_none=False)
        c, x = sample_pairs()
        z_c, z_x = f(c), f_prime(x)
        loss = loss_fn(z_c, z_x, tau)
        loss.backward()
        opt.step()
        losses.append(float(loss.detach().cpu()))
    return losses
''',
        "params_cleared_by_hand_f_prime_first": '''
import torch
def train_critic(f, f_prime, sample_pairs, steps, lr=1e-2, tau=1.0, loss_fn=None):
    if loss_fn is None:
        loss_fn = info_nce_loss
    params = list(f_prime.parameters()) + list(f.parameters())
    opt = torch.optim.Adam(params, lr)
    losses = []
    for step in range(steps):
        c, x = sample_pairs()
        loss = loss_fn(f(c), f_prime(x), tau)
        for p in params:
            p.grad = None
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses
''',
    },
    "ar1_mutual_information": {
        "numpy_via_gaussian_formula": '''
import numpy as np
def ar1_mutual_information(a, k):
    rho = np.float64(a) ** k
    return float(-0.5 * np.log1p(-rho * rho))
''',
        "torch_float64": '''
import torch
def ar1_mutual_information(a, k):
    return float(-0.5 * torch.log1p(-torch.tensor(a, dtype=torch.float64).pow(2 * k)))
''',
        "numpy_float64_scalar_returned": '''
import numpy as np
def ar1_mutual_information(a, k):
    return -0.5 * np.log1p(-np.float64(a) ** (2 * k))      # np.float64: a subclass of float
''',
    },
    "simclr_train_step": {
        "keyword_calls_and_item": '''
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    optimizer.zero_grad(set_to_none=True)
    views = [augment_fn(images, generator=generator, max_shift=max_shift, noise_std=noise_std) for _ in range(2)]
    z1, z2 = (head(encoder(v)) for v in views)
    loss = loss_fn(z1, z2, tau=tau)
    loss.backward()
    optimizer.step()
    return loss.item()
''',
        "one_forward_pass_on_both_views": '''
import torch
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=augment, loss_fn=nt_xent_loss):
    v1 = augment_fn(images, generator, max_shift, noise_std)
    v2 = augment_fn(images, generator, max_shift, noise_std)
    z = head(encoder(torch.cat([v1, v2])))
    loss = loss_fn(z[:len(images)], z[len(images):], tau)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return float(loss.detach())
''',
        # Issue 28: clears the gradients by hand (set to None) before the forward pass, and a float64 loss path
        # (the embeddings cast to float64 for the loss, the gradient cast back by autograd).
        "grads_set_to_none_by_hand_float64_loss": '''
import torch
def simclr_train_step(encoder, head, optimizer, images, generator, tau=0.2, max_shift=1, noise_std=0.2,
                      augment_fn=None, loss_fn=None):
    augment_fn = augment_fn or augment
    loss_fn = loss_fn or nt_xent_loss
    for group in optimizer.param_groups:
        for p in group["params"]:
            p.grad = None
    first = augment_fn(images, generator, max_shift, noise_std)
    second = augment_fn(images, generator, max_shift, noise_std)
    loss = loss_fn(head(encoder(first)).double(), head(encoder(second)).double(), tau)
    loss.backward()
    optimizer.step()
    return float(loss)
''',
    },
})
