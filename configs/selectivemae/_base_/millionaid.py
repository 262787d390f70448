# MillionAID (Long et al., 2021) as an unlabelled pretraining set, for the paper's MillionAID rows
# (Table 1's first row, Table 3's training time and memory, the supplementary ablations). Read
# with the OpticalRS13M dataset class, which walks any folder of images recursively:
# data/MillionAID/{train,test}/... as released (train: 10,000 images in category sub-folders,
# test: 990,848; both are used: [paper] "1 million" images). Only the data root differs from
# ./opticalrs-13m.py (same pipeline, batch and preprocessing). Walking about 1M files takes a
# while at every start: write an index once (OpticalRS13M.write_index, see
# configs/selectivemae/README.md, "Data-scaling study") and set index_file='index.txt'.
_base_ = './opticalrs-13m.py'
data_root = 'data/MillionAID/'
train_dataloader = dict(dataset=dict(data_root=data_root))
