"""The policy network: model, model files, training and evaluation.

Light imports only here (torch is heavy); use the submodules:

``goengine.nn.model``      PolicyNet, Architecture, PRESETS, resolve_architecture
``goengine.nn.modelfile``  save_model, load_model, read_metadata, ModelFileError
``goengine.nn.device``     resolve_device: the one rule for choosing the torch device
``goengine.nn.step``       the forward pass and training step shared by training and benchmarks
``goengine.nn.metrics``    top-1/top-5/NLL, shared by training and evaluation
``goengine.nn.train``      TrainConfig, train
``goengine.nn.evaluate``   evaluate_model, format_report
``goengine.nn.cli``        the ``train`` and ``evaluate`` click commands
"""
